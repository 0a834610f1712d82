// conv2d and its two backwards on the device as im2col + GEMM (gemm::product), NCHW, with the CPU
// kernels' semantics (kernels/cpu/conv2d*.cc). The element work (im2col, the col2im gather, copies,
// the epilogues) is written as small functors with __host__ __device__ bodies, and the drivers that
// size the chunks and set up the GEMM operands are templates over an executor, so that
// test/cuda/conv-host.cu runs this very code on the host (a loop for each launch, a plain GEMM) and
// checks it against the CPU kernels without a GPU. conv2d.cu instantiates them with the device
// executor: one grid-stride launch per functor, gemm::product for the products, mt_cuda_alloc for
// the workspace.
//
// Layouts. The im2col matrix of image i and group gi has rows k = (ci, kh, kw) of the group's input
// channels and columns p = (oh, ow); over all the groups its rows are kidx = (c, kh, kw) of every
// input channel (kidx = gi * kg + k), so one launch writes every group: element (i, kidx, p) at
// col[i * is + kidx * ks + p]. The forward and the input gradient use is = C*KH*KW*P, ks = P (one
// matrix an image); the weight gradient uses is = P, ks = images*P (the images side by side, so that
// one product sums over all of them).
//
// Numerics: float16/bfloat16 products accumulate in float32 into a float32 workspace, and one
// epilogue adds the bias in float32 and rounds once (as conv2d.cc); float32 and float64 write the
// product straight into the output and add the bias in place. The input gradient's gather sums, for
// each input element, its col entries in a fixed order (kh, then kw): no atomics, the same bits every
// run. The weight gradient sums chunk after chunk in the accumulator type (beta = 1) and rounds once.
#pragma once

#include <type_traits>

#include "../cpu/conv2d_args.h"
#include "common.cuh"
#include "gemm.cuh"

namespace mt::cuda::conv2d {

using conv::Geometry;

// What partial sums are kept in: float64 for float64, float32 otherwise.
template <class T>
using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;

// The device workspace a call may take (im2col matrix, copies, float32 partials): the batch is cut
// into chunks of images that fit it. A single image is never cut, so one whose im2col matrix alone is
// larger takes what it needs.
constexpr int64_t kWorkspaceBytes = int64_t(256) << 20;

// A strided 4-d view in elements: (a, b, c, d) at base[a * s[0] + b * s[1] + c * s[2] + d * s[3]].
template <class T>
struct View4 {
  const T* base;
  int64_t s[4];
};

template <class T>
MT_HD int32_t dtype_code() {
  if constexpr (std::is_same_v<T, float>) return MT_FLOAT32;
  else if constexpr (std::is_same_v<T, f16>) return MT_FLOAT16;
  else if constexpr (std::is_same_v<T, bf16>) return MT_BFLOAT16;
  else return MT_FLOAT64;
}

// ---- index math (the part a host test can check). I is the type of the coordinate arithmetic:
// int32_t when every coordinate and element count of a launch fits (index32: 32-bit division is
// several times cheaper on a GPU than 64-bit), int64_t otherwise; element offsets are always int64.

// Whether a launch of `total` elements over geometry g can do its coordinate arithmetic in int32:
// every |coordinate| stays below 2^31 (ih = oh * sh - ph + kh * dh is below 2 (h + 2 ph), and so on).
inline bool index32(const Geometry& g, int64_t total) {
  const int64_t lim = int64_t(1) << 29;
  return total < (int64_t(1) << 31) && g.h + 2 * g.ph < lim && g.w + 2 * g.pw < lim && g.sh < lim && g.sw < lim &&
         g.dh < lim && g.dw < lim;
}

// Entry (kidx, p) of image i's im2col matrix: x[i, c, ih, iw] with kidx = (c, kh, kw), p = (oh, ow),
// ih = oh * sh - ph + kh * dh (likewise iw), and 0 in the padding. x points at the chunk's first image.
template <class T, class I>
MT_HD T im2col_value(const Geometry& g, const View4<T>& x, I i, I kidx, I p) {
  const I kw = kidx % I(g.kw);
  const I kh = (kidx / I(g.kw)) % I(g.kh);
  const I c = kidx / (I(g.kw) * I(g.kh));
  const I oh = p / I(g.ow), ow = p % I(g.ow);
  const I ih = oh * I(g.sh) - I(g.ph) + kh * I(g.dh);
  const I iw = ow * I(g.sw) - I(g.pw) + kw * I(g.dw);
  if (ih < 0 || ih >= I(g.h) || iw < 0 || iw >= I(g.w)) return T{};
  return x.base[int64_t(i) * x.s[0] + int64_t(c) * x.s[1] + int64_t(ih) * x.s[2] + int64_t(iw) * x.s[3]];
}

// The adjoint of im2col at input element (c, ih, iw) of one image: the sum of the entries of its
// im2col-shaped gradient (entry (kidx, p) at dcol[kidx * ks + p]) that im2col read from there, in the
// order kh, kw. Output row oh reads input row ih through tap kh when oh * sh = ih + ph - kh * dh.
template <class A, class I>
MT_HD A col2im_sum(const Geometry& g, const A* dcol, int64_t ks, I c, I ih, I iw) {
  A s = A(0);
  for (I kh = 0; kh < I(g.kh); ++kh) {
    const I th = ih + I(g.ph) - kh * I(g.dh);
    if (th < 0 || th % I(g.sh) != 0) continue;
    const I oh = th / I(g.sh);
    if (oh >= I(g.oh)) continue;
    for (I kw = 0; kw < I(g.kw); ++kw) {
      const I tw = iw + I(g.pw) - kw * I(g.dw);
      if (tw < 0 || tw % I(g.sw) != 0) continue;
      const I ow = tw / I(g.sw);
      if (ow >= I(g.ow)) continue;
      s = s + dcol[((int64_t(c) * g.kh + kh) * g.kw + kw) * ks + int64_t(oh) * g.ow + ow];
    }
  }
  return s;
}

// ---- element functors: operator()(t) for t in [0, total), one launch each.

// col[i * is + kidx * ks + p] for i < images, kidx < C*KH*KW, p < P.
template <class T, class I>
struct Im2col {
  Geometry g;
  View4<T> x;  // at the chunk's first image
  T* col;
  int64_t is, ks;
  MT_HD void operator()(int64_t t64) const {
    const I t = I(t64), np = I(g.p), ckk = I(g.c * g.kh * g.kw);
    const I p = t % np;
    const I kidx = (t / np) % ckk;
    const I i = t / np / ckk;
    col[int64_t(i) * is + int64_t(kidx) * ks + p] = im2col_value(g, x, i, kidx, p);
  }
};

// A 4-d tensor's (a, b, q) with q = (q / qw, q % qw) over its last two dims, copied to dst[a * da + b *
// db + q]: gy into a matrix the GEMM reads, or a strided weight into a dense [co, kg] one.
template <class T, class I>
struct Gather {
  View4<T> src;
  int64_t nb, q, qw;  // extents of b and q; q's row length
  T* dst;
  int64_t da, db;
  MT_HD void operator()(int64_t t64) const {
    const I t = I(t64);
    const I e = t % I(q);
    const I b = (t / I(q)) % I(nb);
    const I a = t / I(q) / I(nb);
    const I r = e / I(qw), col = e % I(qw);
    dst[int64_t(a) * da + int64_t(b) * db + e] =
        src.base[int64_t(a) * src.s[0] + int64_t(b) * src.s[1] + int64_t(r) * src.s[2] + int64_t(col) * src.s[3]];
  }
};

template <class T>
struct ForwardEpilogue {
  const Acc<T>* partial;  // null: read out
  T* out;
  const T* bias;  // null: no bias
  int64_t bias_stride, co, p;
  MT_HD void operator()(int64_t t) const {
    Acc<T> v = partial ? partial[t] : Acc<T>(dload(out[t]));
    if (bias) v = v + Acc<T>(dload(bias[((t / p) % co) * bias_stride]));
    out[t] = dstore<T>(v);
  }
};

// dx[t] of a contiguous [images, C, H, W] block, from the chunk's im2col-shaped gradient.
template <class T, class I>
struct Col2im {
  Geometry g;
  const Acc<T>* dcol;
  int64_t is, ks;
  T* dx;
  MT_HD void operator()(int64_t t64) const {
    const I t = I(t64);
    const I iw = t % I(g.w);
    const I ih = (t / I(g.w)) % I(g.h);
    const I c = (t / I(g.w) / I(g.h)) % I(g.c);
    const I i = t / I(g.w) / I(g.h) / I(g.c);
    dx[t64] = dstore<T>(col2im_sum(g, dcol + int64_t(i) * is, ks, c, ih, iw));
  }
};

template <class T>
struct RoundTo {
  const Acc<T>* src;
  T* dst;
  MT_HD void operator()(int64_t t) const { dst[t] = dstore<T>(src[t]); }
};

template <class T>
struct Zero {
  T* dst;
  MT_HD void operator()(int64_t t) const { dst[t] = T{}; }
};

// Runs functor F<T, I>{args...} over [0, total) with I = int32_t where index32 allows (and the
// executor does not ask for the wide form: ex.wide, which the host test sets to check both), else
// int64_t.
template <template <class, class> class F, class T, class Ex, class... Args>
mt_status launch(Ex& ex, const char* op, const Geometry& g, int64_t total, mt_error* err, const Args&... args) {
  if (!ex.wide && index32(g, total)) return ex.each(op, total, F<T, int32_t>{args...}, err);
  return ex.each(op, total, F<T, int64_t>{args...}, err);
}

// ---- drivers, over an executor Ex with
//   mt_status alloc(size_t bytes, void** p, mt_error*);  void release(void* p, size_t bytes);
//   template <class F> mt_status each(const char* op, int64_t total, const F& f, mt_error*);
//   bool wide;  (true: int64 index math even where int32 would do)
//   mt_status product(...)  (the arguments of gemm::product)

// Workspace blocks handed back when the driver returns (on the device: after the launches that use
// them were queued on the stream, which is safe with the caching allocator).
template <class Ex>
struct Workspace {
  Ex& ex;
  void* ptr[3] = {nullptr, nullptr, nullptr};
  size_t bytes[3] = {0, 0, 0};
  explicit Workspace(Ex& e) : ex(e) {}
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
    for (int i = 0; i < 3; ++i)
      if (ptr[i]) ex.release(ptr[i], bytes[i]);
  }
  template <class E>
  mt_status get(int slot, int64_t count, E** out, mt_error* err) {
    bytes[slot] = size_t(count > 0 ? count : 1) * sizeof(E);
    mt_status st = ex.alloc(bytes[slot], &ptr[slot], err);
    *out = static_cast<E*>(ptr[slot]);
    return st;
  }
};

// Images a chunk: as many as fit the budget at per_image bytes each, at least one, at most n.
inline int64_t chunk_images(int64_t n, int64_t per_image, int64_t budget) {
  int64_t nb = per_image > 0 ? budget / per_image : n;
  if (nb > n) nb = n;
  return nb < 1 ? 1 : nb;
}

// Whether dims [from, from + count) of a 4-d view walk as one stride (conv::flat).
template <class T>
bool flat_dims(const View4<T>& v, const int64_t* shape, int from, int count, int64_t* stride) {
  mt_layout l{};
  l.ndim = 4;
  for (int d = 0; d < 4; ++d) {
    l.shape[d] = shape[d];
    l.strides[d] = v.s[d];
  }
  return conv::flat(l, from, count, stride);
}

// The weight as a [co, kg] matrix, element (o, k) at m[o * rs + k * ks]: its own storage when
// (ci, kh, kw) walk as one stride, else a dense copy in workspace slot 0.
template <class T, class Ex>
mt_status weight_matrix(Ex& ex, Workspace<Ex>& ws, const char* op, const Geometry& g, const View4<T>& w,
                        const T** m, int64_t* rs, int64_t* ks, mt_error* err) {
  const int64_t shape[4] = {g.co, g.cg, g.kh, g.kw};
  if (flat_dims(w, shape, 1, 3, ks)) {
    *m = w.base;
    *rs = w.s[0];
    return MT_OK;
  }
  T* copy = nullptr;
  mt_status st = ws.get(0, g.co * g.kg, &copy, err);
  if (st != MT_OK) return st;
  st = launch<Gather, T>(ex, op, g, g.co * g.kg, err, w, g.cg, g.kh * g.kw, g.kw, copy, g.kg, g.kh * g.kw);
  *m = copy;
  *rs = g.kg;
  *ks = 1;
  return st;
}

// One GEMM operand's address for (image i, group gi): base + i * image + gi * group, rows rs,
// columns cs.
struct Strided {
  const void* base;
  int64_t image, group, rs, cs;
};

// The products of one chunk, one per (image, group), as batched calls: over the groups for each
// image when there are at least as many groups as images, else over the images for each group.
template <class T, class Ex>
mt_status chunk_products(Ex& ex, const char* op, bool c_f32, int64_t images, int64_t groups, int64_t m, int64_t n,
                         int64_t k, Strided a, Strided b, Strided c, int64_t c_item, mt_error* err) {
  const int64_t item = int64_t(sizeof(T));
  auto at = [](const Strided& s, int64_t item_bytes, int64_t i, int64_t gi) {
    return static_cast<const char*>(s.base) + (i * s.image + gi * s.group) * item_bytes;
  };
  const bool by_group = groups >= images;
  const int64_t outer = by_group ? images : groups, batch = by_group ? groups : images;
  for (int64_t o = 0; o < outer; ++o) {
    const int64_t i = by_group ? o : 0, gi = by_group ? 0 : o;
    const gemm::Operand ga{at(a, item, i, gi), a.rs, a.cs, by_group ? a.group : a.image};
    const gemm::Operand gb{at(b, item, i, gi), b.rs, b.cs, by_group ? b.group : b.image};
    const gemm::Output gc{const_cast<char*>(at(c, c_item, i, gi)), c.rs, c.cs, by_group ? c.group : c.image};
    const mt_status st = ex.product(op, dtype_code<T>(), c_f32, m, n, k, ga, gb, gc, 1.0, 0.0, batch, err);
    if (st != MT_OK) return st;
  }
  return MT_OK;
}

// conv2d: out [n, co, oh, ow] (contiguous) = conv(x, w) + bias.
template <class T, class Ex>
mt_status forward(Ex& ex, const char* op, const Geometry& g, const View4<T>& x, const View4<T>& w, const T* bias,
                  int64_t bias_stride, T* out, int64_t budget, mt_error* err) {
  using A = Acc<T>;
  constexpr bool half = !std::is_same_v<T, A>;
  if (g.n == 0 || g.co == 0) return MT_OK;
  const int64_t ckk = g.c * g.kh * g.kw, plane_out = g.co * g.p;
  Workspace<Ex> ws(ex);
  const T* wm;
  int64_t wrs, wks;
  mt_status st = weight_matrix(ex, ws, op, g, w, &wm, &wrs, &wks, err);
  if (st != MT_OK) return st;
  // A 1x1 kernel at stride 1 without padding reads x itself when its (h, w) plane walks as one stride.
  const int64_t xshape[4] = {g.n, g.c, g.h, g.w};
  int64_t xps = 0;
  const bool identity = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                        flat_dims(x, xshape, 2, 2, &xps);
  const int64_t per_image =
      (identity ? 0 : ckk * g.p * int64_t(sizeof(T))) + (half ? plane_out * int64_t(sizeof(float)) : 0);
  const int64_t nb = chunk_images(g.n, per_image, budget);
  T* col = nullptr;
  A* partial = nullptr;
  if (!identity && (st = ws.get(1, nb * ckk * g.p, &col, err)) != MT_OK) return st;
  if (half && (st = ws.get(2, nb * plane_out, &partial, err)) != MT_OK) return st;
  for (int64_t n0 = 0; n0 < g.n; n0 += nb) {
    const int64_t images = g.n - n0 < nb ? g.n - n0 : nb;
    const View4<T> xc{x.base + n0 * x.s[0], {x.s[0], x.s[1], x.s[2], x.s[3]}};
    T* outc = out + n0 * plane_out;
    void* target = half ? static_cast<void*>(partial) : static_cast<void*>(outc);
    const Strided c{target, plane_out, g.cog * g.p, g.p, 1};
    if (g.kg == 0) {
      // No input channels: every sum is empty (a GEMM with k = 0 is left alone).
      st = half ? ex.each(op, images * plane_out, Zero<A>{partial}, err)
                : ex.each(op, images * plane_out, Zero<T>{outc}, err);
    } else {
      Strided b{xc.base, x.s[0], g.cg * x.s[1], x.s[1], xps};
      if (!identity) {
        st = launch<Im2col, T>(ex, op, g, images * ckk * g.p, err, g, xc, col, ckk * g.p, g.p);
        if (st != MT_OK) return st;
        b = Strided{col, ckk * g.p, g.kg * g.p, g.p, 1};
      }
      const Strided a{wm, 0, g.cog * wrs, wrs, wks};
      st = chunk_products<T>(ex, op, half, images, g.groups, g.cog, g.p, g.kg, a, b, c,
                             half ? int64_t(sizeof(float)) : int64_t(sizeof(T)), err);
    }
    if (st != MT_OK) return st;
    if (half || bias) {
      const ForwardEpilogue<T> f{half ? partial : nullptr, outc, bias, bias_stride, g.co, g.p};
      if ((st = ex.each(op, images * plane_out, f, err)) != MT_OK) return st;
    }
  }
  return MT_OK;
}

// conv2d_backward_input: dx [n, c, h, w] (contiguous) = col2im(w^T gy), per image and group.
template <class T, class Ex>
mt_status backward_input(Ex& ex, const char* op, const Geometry& g, const View4<T>& gy, const View4<T>& w, T* dx,
                         int64_t budget, mt_error* err) {
  using A = Acc<T>;
  constexpr bool half = !std::is_same_v<T, A>;
  if (g.n == 0 || g.c == 0) return MT_OK;
  const int64_t ckk = g.c * g.kh * g.kw, plane_in = g.c * g.h * g.w;
  Workspace<Ex> ws(ex);
  const T* wm;
  int64_t wrs, wks;
  mt_status st = weight_matrix(ex, ws, op, g, w, &wm, &wrs, &wks, err);
  if (st != MT_OK) return st;
  // gy is read in place when its (oh, ow) plane walks as one stride, else copied chunk by chunk.
  const int64_t gshape[4] = {g.n, g.co, g.oh, g.ow};
  int64_t gps = 0;
  const bool copy_gy = !flat_dims(gy, gshape, 2, 2, &gps);
  const int64_t per_image = ckk * g.p * int64_t(sizeof(A)) + (copy_gy ? g.co * g.p * int64_t(sizeof(T)) : 0);
  const int64_t nb = chunk_images(g.n, per_image, budget);
  A* dcol = nullptr;
  T* gcopy = nullptr;
  if ((st = ws.get(1, nb * ckk * g.p, &dcol, err)) != MT_OK) return st;
  if (copy_gy && (st = ws.get(2, nb * g.co * g.p, &gcopy, err)) != MT_OK) return st;
  for (int64_t n0 = 0; n0 < g.n; n0 += nb) {
    const int64_t images = g.n - n0 < nb ? g.n - n0 : nb;
    const View4<T> gyc{gy.base + n0 * gy.s[0], {gy.s[0], gy.s[1], gy.s[2], gy.s[3]}};
    if (g.cog == 0) {
      st = ex.each(op, images * ckk * g.p, Zero<A>{dcol}, err);
    } else {
      Strided b{gyc.base, gy.s[0], g.cog * gy.s[1], gy.s[1], gps};
      if (copy_gy) {
        // [images, co, P], dense.
        st = launch<Gather, T>(ex, op, g, images * g.co * g.p, err, gyc, g.co, g.p, g.ow, gcopy, g.co * g.p, g.p);
        if (st != MT_OK) return st;
        b = Strided{gcopy, g.co * g.p, g.cog * g.p, g.p, 1};
      }
      // w^T: entry (k, o) of group gi at wm[(gi * cog + o) * wrs + k * wks].
      const Strided a{wm, 0, g.cog * wrs, wks, wrs};
      const Strided c{dcol, ckk * g.p, g.kg * g.p, g.p, 1};
      st = chunk_products<T>(ex, op, half, images, g.groups, g.kg, g.p, g.cog, a, b, c, int64_t(sizeof(A)), err);
    }
    if (st != MT_OK) return st;
    st = launch<Col2im, T>(ex, op, g, images * plane_in, err, g, dcol, ckk * g.p, g.p, dx + n0 * plane_in);
    if (st != MT_OK) return st;
  }
  return MT_OK;
}

// conv2d_backward_weight: dw [co, cg, kh, kw] (contiguous, = [groups, cog, kg]) = sum over images of
// gy_g [cog, P] col_g^T [P, kg]; one product per chunk (batched over the groups) with k = images * P.
template <class T, class Ex>
mt_status backward_weight(Ex& ex, const char* op, const Geometry& g, const View4<T>& gy, const View4<T>& x, T* dw,
                          int64_t budget, mt_error* err) {
  using A = Acc<T>;
  constexpr bool half = !std::is_same_v<T, A>;
  const int64_t wsize = g.co * g.kg;
  if (wsize == 0) return MT_OK;
  if (g.n == 0) return ex.each(op, wsize, Zero<T>{dw}, err);
  const int64_t ckk = g.c * g.kh * g.kw;
  Workspace<Ex> ws(ex);
  const int64_t gshape[4] = {g.n, g.co, g.oh, g.ow};
  int64_t gps = 0;
  const bool gy_flat = flat_dims(gy, gshape, 2, 2, &gps);
  const int64_t per_image = (ckk + g.co) * g.p * int64_t(sizeof(T));
  const int64_t nb = chunk_images(g.n, per_image, budget);
  T* col = nullptr;
  T* gcopy = nullptr;
  A* acc = nullptr;
  mt_status st = ws.get(0, nb * ckk * g.p, &col, err);
  if (st != MT_OK) return st;
  if ((nb > 1 || !gy_flat) && (st = ws.get(1, nb * g.co * g.p, &gcopy, err)) != MT_OK) return st;
  if (half && (st = ws.get(2, wsize, &acc, err)) != MT_OK) return st;
  void* target = half ? static_cast<void*>(acc) : static_cast<void*>(dw);
  for (int64_t n0 = 0; n0 < g.n; n0 += nb) {
    const int64_t images = g.n - n0 < nb ? g.n - n0 : nb;
    const int64_t cols = images * g.p;  // the product's k: the chunk's images side by side
    const View4<T> xc{x.base + n0 * x.s[0], {x.s[0], x.s[1], x.s[2], x.s[3]}};
    const View4<T> gyc{gy.base + n0 * gy.s[0], {gy.s[0], gy.s[1], gy.s[2], gy.s[3]}};
    st = launch<Im2col, T>(ex, op, g, images * ckk * g.p, err, g, xc, col, g.p, cols);
    if (st != MT_OK) return st;
    // gy of group gi: entry (o, q) for q = (image, p).
    gemm::Operand a{gyc.base, gy.s[1], gps, g.cog * gy.s[1]};
    if (images > 1 || !gy_flat) {
      st = launch<Gather, T>(ex, op, g, images * g.co * g.p, err, gyc, g.co, g.p, g.ow, gcopy, g.p, cols);
      if (st != MT_OK) return st;
      a = gemm::Operand{gcopy, cols, 1, g.cog * cols};
    }
    // col^T of group gi: entry (q, k) at col[(gi * kg + k) * cols + q].
    const gemm::Operand b{col, 1, cols, g.kg * cols};
    const gemm::Output c{target, g.kg, 1, g.cog * g.kg};
    st = ex.product(op, dtype_code<T>(), half, g.cog, g.kg, cols, a, b, c, 1.0, n0 == 0 ? 0.0 : 1.0, g.groups, err);
    if (st != MT_OK) return st;
  }
  if (half) return ex.each(op, wsize, RoundTo<T>{acc, dw}, err);
  return MT_OK;
}

}  // namespace mt::cuda::conv2d
