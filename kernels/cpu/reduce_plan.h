// How a reduction walks memory. The input's kept dims (leading) and reduced dims (trailing) are each
// coalesced; then one of two drivers runs an Op over them:
//   - rows: each output reduces its own elements, segment by segment along the innermost reduced dim
//     (contiguous segments take the SIMD loops). Used for inner reductions and any odd layout.
//   - cols: when the innermost kept dim is contiguous and the reduction is not (sum over axis 0 of
//     [N, C]), whole rows of C values are folded into a vector of C accumulators.
// Work is cut into partials by the shapes alone (kChunk elements, kChunkRows rows) and partials are
// combined pairwise in a fixed order, so a result does not depend on the thread count, and pairwise
// combination keeps float32 sums accurate (error grows with log n, not n).
//
// An Op provides: Acc; seg(m, ptr, byte_stride, n, first) -> Acc (n >= 1 elements starting at flat
// reduced index `first`, for output m); combine(left, right) -> Acc; store(m, Acc); kCols and, when
// kCols, cols(m0, acc, row, w, init) folding w contiguous elements of one row into acc[0..w).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernel.h"
#include "parallel.h"

namespace mt {

constexpr int64_t kChunk = 4096;      // rows driver: reduced elements per partial
constexpr int64_t kBlockRows = 16;    // cols driver: rows folded in sequence before pairwise combination
constexpr int64_t kChunkRows = 1024;  // cols driver: rows per partial (a power-of-two count of blocks)
constexpr int64_t kTile = 4096;        // cols driver: columns per task
constexpr int64_t kGrain = 1 << 15;   // elements a thread should get at least

struct Dims {
  int n = 0;
  int64_t shape[MT_MAX_DIMS];
  int64_t stride[MT_MAX_DIMS];  // bytes
  int64_t numel = 1;

  // Appends a dim, dropping it when of size 1 and merging it into the previous one when the pair is
  // contiguous (flat index order is kept either way).
  void add(int64_t size, int64_t stride_bytes) {
    numel *= size;
    if (size == 1) return;
    if (n > 0 && stride[n - 1] == stride_bytes * size) {
      shape[n - 1] *= size;
      stride[n - 1] = stride_bytes;
      return;
    }
    shape[n] = size;
    stride[n] = stride_bytes;
    ++n;
  }

  int64_t offset(int64_t flat) const {
    int64_t off = 0;
    for (int d = n - 1; d >= 0; --d) {
      off += (flat % shape[d]) * stride[d];
      flat /= shape[d];
    }
    return off;
  }
};

struct Plan {
  const char* base;
  int64_t isz;
  Dims keep, red;
};

// `reorder` lets the reduced dims be visited in memory order (largest stride outermost), which turns a
// transposed full reduction into contiguous rows; ops whose result depends on the visiting order
// (argmax's first index) pass false.
inline Plan make_plan(const mt_tensor& x, int k, bool reorder) {
  Plan p;
  const mt_layout& l = x.layout;
  p.isz = itemsize(x.dtype);
  p.base = static_cast<const char*>(x.data) + l.offset * p.isz;
  const int m = l.ndim - k;
  for (int d = 0; d < m; ++d) p.keep.add(l.shape[d], l.strides[d] * p.isz);
  int order[MT_MAX_DIMS];
  for (int j = 0; j < k; ++j) order[j] = m + j;
  if (reorder) std::stable_sort(order, order + k, [&](int a, int b) { return l.strides[a] > l.strides[b]; });
  for (int j = 0; j < k; ++j) p.red.add(l.shape[order[j]], l.strides[order[j]] * p.isz);
  if (p.keep.n == 0) {
    p.keep.n = 1;
    p.keep.shape[0] = 1;
    p.keep.stride[0] = 0;
  }
  if (p.red.n == 0) {
    p.red.n = 1;
    p.red.shape[0] = 1;
    p.red.stride[0] = p.isz;
  }
  return p;
}

inline int stack_depth(int64_t items) {
  int d = 2;
  while (items > 1) {
    items = (items + 1) / 2;
    ++d;
  }
  return d;
}

// Pairwise combination of a stream of partials: equal-sized groups merge as soon as they form (a
// binary counter), and the leftovers merge right to left at the end. Left operands are earlier.
template <class Op>
struct PairStack {
  using Acc = typename Op::Acc;
  const Op& op;
  Acc item[64];
  int level[64];
  int top = 0;

  explicit PairStack(const Op& o) : op(o) {}
  void push(const Acc& a) {
    item[top] = a;
    level[top++] = 0;
    while (top >= 2 && level[top - 2] == level[top - 1]) {
      item[top - 2] = op.combine(item[top - 2], item[top - 1]);
      ++level[top - 2];
      --top;
    }
  }
  Acc finish() const {
    if (top == 0) return Acc{};
    Acc a = item[top - 1];
    for (int i = top - 2; i >= 0; --i) a = op.combine(item[i], a);
    return a;
  }
};

// The same over vectors of w accumulators (one per column).
template <class Op>
struct VecStack {
  using Acc = typename Op::Acc;
  const Op& op;
  int64_t cap, w = 0;
  std::vector<Acc> buf;
  int level[64];
  int top = 0;

  VecStack(const Op& o, int64_t capacity, int depth) : op(o), cap(capacity), buf(size_t(capacity * depth)) {}
  Acc* slot(int i) { return buf.data() + i * cap; }
  void reset(int64_t width) {
    w = width;
    top = 0;
  }
  void push(const Acc* v) {
    std::copy(v, v + w, slot(top));
    level[top++] = 0;
    while (top >= 2 && level[top - 2] == level[top - 1]) {
      Acc* l = slot(top - 2);
      const Acc* r = slot(top - 1);
      for (int64_t c = 0; c < w; ++c) l[c] = op.combine(l[c], r[c]);
      ++level[top - 2];
      --top;
    }
  }
  void finish(Acc* out) {
    if (top == 0) return;
    std::copy(slot(top - 1), slot(top - 1) + w, out);
    for (int i = top - 2; i >= 0; --i) {
      const Acc* l = slot(i);
      for (int64_t c = 0; c < w; ++c) out[c] = op.combine(l[c], out[c]);
    }
  }
};

template <class Op>
void reduce_rows(const Plan& P, const Op& op) {
  using Acc = typename Op::Acc;
  const Dims& red = P.red;
  const int64_t M = P.keep.numel, N = red.numel;
  const int last = red.n - 1;
  const int64_t nch = (N + kChunk - 1) / kChunk;
  auto chunk = [&](int64_t m, int64_t c) {
    const char* pm = P.base + P.keep.offset(m);
    const int64_t begin = c * kChunk, end = std::min(N, begin + kChunk);
    int64_t idx[MT_MAX_DIMS];
    for (int64_t d = last, rest = begin; d >= 0; --d) {
      idx[d] = rest % red.shape[d];
      rest /= red.shape[d];
    }
    PairStack<Op> st(op);
    for (int64_t pos = begin; pos < end;) {
      const char* p = pm;
      for (int d = 0; d <= last; ++d) p += idx[d] * red.stride[d];
      const int64_t n = std::min(red.shape[last] - idx[last], end - pos);
      st.push(op.seg(m, p, red.stride[last], n, pos));
      pos += n;
      idx[last] += n;
      for (int d = last; d > 0 && idx[d] == red.shape[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
    return st.finish();
  };
  if (nch == 1 && red.n == 1) {
    // One segment per output (rows of a matrix, say): the same result without the bookkeeping.
    parallel_for(M, std::max<int64_t>(1, kGrain / N), [&](int64_t b, int64_t e) {
      for (int64_t m = b; m < e; ++m) op.store(m, op.seg(m, P.base + P.keep.offset(m), red.stride[0], N, 0));
    });
    return;
  }
  if (nch == 1 || M >= 2 * num_threads()) {
    parallel_for(M, std::max<int64_t>(1, kGrain / N), [&](int64_t b, int64_t e) {
      for (int64_t m = b; m < e; ++m) {
        PairStack<Op> st(op);
        for (int64_t c = 0; c < nch; ++c) st.push(chunk(m, c));
        op.store(m, st.finish());
      }
    });
    return;
  }
  // Few outputs, long reductions: the partials of every output are spread over the threads.
  std::vector<Acc> part(size_t(M * nch));
  parallel_for(M * nch, std::max<int64_t>(1, kGrain / kChunk), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) part[size_t(t)] = chunk(t / nch, t % nch);
  });
  for (int64_t m = 0; m < M; ++m) {
    PairStack<Op> st(op);
    for (int64_t c = 0; c < nch; ++c) st.push(part[size_t(m * nch + c)]);
    op.store(m, st.finish());
  }
}

template <class Op>
void reduce_cols(const Plan& P, const Op& op) {
  using Acc = typename Op::Acc;
  const Dims& red = P.red;
  Dims outer = P.keep;
  const int64_t K = outer.shape[--outer.n];
  const int64_t M2 = P.keep.numel / K, N = red.numel;
  const int64_t width = std::min(K, kTile), ntile = (K + kTile - 1) / kTile;
  const int64_t nch = (N + kChunkRows - 1) / kChunkRows, tasks = M2 * ntile;
  const int inner_depth = stack_depth(kChunkRows / kBlockRows), outer_depth = stack_depth(nch);

  struct Tile {
    const char* p;
    int64_t m0, w;
  };
  auto tile = [&](int64_t t) {
    const int64_t m2 = t / ntile, c0 = (t % ntile) * kTile;
    return Tile{P.base + outer.offset(m2) + c0 * P.isz, m2 * K + c0, std::min(kTile, K - c0)};
  };
  // The partial of rows [c * kChunkRows, ...) of one tile: blocks of kBlockRows rows folded in
  // sequence, blocks combined pairwise.
  auto chunk = [&](const Tile& tl, int64_t c, Acc* out, VecStack<Op>& st) {
    Acc blk[kTile];
    st.reset(tl.w);
    const int64_t begin = c * kChunkRows, end = std::min(N, begin + kChunkRows);
    for (int64_t b = begin; b < end; b += kBlockRows) {
      const int64_t be = std::min(end, b + kBlockRows);
      for (int64_t r = b; r < be; ++r) op.cols(tl.m0, blk, tl.p + red.offset(r), tl.w, r == b);
      st.push(blk);
    }
    st.finish(out);
  };
  auto store = [&](const Tile& tl, const Acc* v) {
    for (int64_t j = 0; j < tl.w; ++j) op.store(tl.m0 + j, v[j]);
  };
  if (nch == 1 || tasks >= 2 * num_threads()) {
    parallel_for(tasks, std::max<int64_t>(1, kGrain / (N * width)), [&](int64_t b, int64_t e) {
      VecStack<Op> in(op, width, inner_depth), across(op, width, outer_depth);
      Acc part[kTile], res[kTile];
      for (int64_t t = b; t < e; ++t) {
        const Tile tl = tile(t);
        across.reset(tl.w);
        for (int64_t c = 0; c < nch; ++c) {
          chunk(tl, c, part, in);
          across.push(part);
        }
        across.finish(res);
        store(tl, res);
      }
    });
    return;
  }
  std::vector<Acc> parts(size_t(tasks * nch * width));
  parallel_for(tasks * nch, std::max<int64_t>(1, kGrain / (kChunkRows * width)), [&](int64_t b, int64_t e) {
    VecStack<Op> in(op, width, inner_depth);
    for (int64_t u = b; u < e; ++u) chunk(tile(u / nch), u % nch, &parts[size_t(u * width)], in);
  });
  VecStack<Op> across(op, width, outer_depth);
  Acc res[kTile];
  for (int64_t t = 0; t < tasks; ++t) {
    const Tile tl = tile(t);
    across.reset(tl.w);
    for (int64_t c = 0; c < nch; ++c) across.push(&parts[size_t((t * nch + c) * width)]);
    across.finish(res);
    store(tl, res);
  }
}

// Runs op over the plan; an empty reduction stores Acc{} (what sum, mean and var define it as).
template <class Op>
void run_reduce(const Plan& P, const Op& op) {
  const int64_t M = P.keep.numel;
  if (M == 0) return;
  if (P.red.numel == 0) {
    for (int64_t m = 0; m < M; ++m) op.store(m, typename Op::Acc{});
    return;
  }
  if constexpr (Op::kCols) {
    const bool cols_contiguous = P.keep.shape[P.keep.n - 1] >= 2 && P.keep.stride[P.keep.n - 1] == P.isz;
    if (cols_contiguous && P.red.stride[P.red.n - 1] != P.isz) {
      reduce_cols(P, op);
      return;
    }
  }
  reduce_rows(P, op);
}

}  // namespace mt
