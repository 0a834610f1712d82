// Shared pieces of the conv2d kernels (conv2d.cc, conv2d_backward_input.cc, conv2d_backward_weight.cc):
// the geometry and argument checks (conv2d_args.h, shared with CUDA), and im2col / col2im over a range of output positions.
//
// All three are GEMMs over the im2col matrix of one image and one group: rows k = (ci, kh, kw) of
// the group's input channels, columns p = (oh, ow) of the output positions. That matrix is never
// built whole: the kernels take it a range of columns at a time into a per-thread scratch buffer
// of a bounded size (kScratchBytes), so memory does not grow with the batch or the image.
//
// attrs (every kernel): [stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups].
// Outputs must be contiguous (the ops allocate them); inputs may have any strides.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "conv2d_args.h"
#include "conv2d_simd.h"
#include "kernel.h"
#include "parallel.h"

namespace mt {
namespace conv {

// Scratch a thread may use for one block of the im2col matrix (and for an accumulator block).
constexpr int64_t kScratchBytes = int64_t(512) << 10;

// The storage type an element is copied as (half types as their bits).
template <class T>
struct Bits {
  using type = T;
};
template <>
struct Bits<f16> {
  using type = uint16_t;
};
template <>
struct Bits<bf16> {
  using type = uint16_t;
};

// What partial sums are kept in: float64 for float64, float32 otherwise.
template <class T>
using Acc = typename std::conditional<std::is_same<T, double>::value, double, float>::type;

template <class T>
constexpr bool is_half() {
  return std::is_same<T, f16>::value || std::is_same<T, bf16>::value;
}

// Scratch memory a thread keeps between calls, 64-byte aligned.
struct Scratch {
  std::vector<char> store;
  template <class E>
  E* get(int64_t count) {
    const size_t bytes = size_t(count) * sizeof(E) + 64;
    if (store.size() < bytes) store.resize(bytes);
    return reinterpret_cast<E*>((reinterpret_cast<uintptr_t>(store.data()) + 63) & ~uintptr_t(63));
  }
};

// Output columns [lo, hi) of one kernel tap along one axis (out index o reads input o * s - pad + tap
// * dil), clipped so that the input index lies in [0, size).
inline void valid_range(int64_t out, int64_t size, int64_t s, int64_t pad, int64_t tap, int64_t dil, int64_t* lo,
                        int64_t* hi) {
  const int64_t off = tap * dil - pad;  // input = o * s + off
  // o * s + off >= 0  <=>  o >= ceil(-off / s)
  int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
  // o * s + off <= size - 1  <=>  o <= floor((size - 1 - off) / s)
  int64_t h = size - 1 - off < 0 ? -1 : (size - 1 - off) / s;
  *lo = std::min(std::max<int64_t>(l, 0), out);
  *hi = std::max(std::min<int64_t>(h + 1, out), *lo);
}

// Calls seg(oh, a, b) for the output rows oh that positions [p0, p1) touch, with [a, b) the columns
// of row oh in the range.
template <class Seg>
inline void for_rows(const Geometry& g, int64_t p0, int64_t p1, Seg&& seg) {
  if (p1 <= p0) return;
  const int64_t first = p0 / g.ow, last = (p1 - 1) / g.ow;
  for (int64_t oh = first; oh <= last; ++oh)
    seg(oh, oh == first ? p0 - oh * g.ow : 0, oh == last ? p1 - oh * g.ow : g.ow);
}

// Rows [0, rows) of output columns [0, ow): d[r * ow + o] = src[r * sld + o * step] for o in [lo, hi),
// 0 outside.
template <class E>
inline void copy_rows(E* d, int64_t ow, const E* src, int64_t sld, int64_t step, int64_t rows, int64_t lo,
                      int64_t hi, const Stride2* s2) {
  if (rows <= 0) return;
  if (hi > lo && step == 2 && s2 && (sizeof(E) == 4 || sizeof(E) == 2)) {
    if (sizeof(E) == 4)
      s2->gather32(reinterpret_cast<uint32_t*>(d + lo), ow, reinterpret_cast<const uint32_t*>(src + 2 * lo), sld,
                   rows, hi - lo);
    else
      s2->gather16(reinterpret_cast<uint16_t*>(d + lo), ow, reinterpret_cast<const uint16_t*>(src + 2 * lo), sld,
                   rows, hi - lo);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t o = 0; o < lo; ++o) d[r * ow + o] = E(0);
      for (int64_t o = hi; o < ow; ++o) d[r * ow + o] = E(0);
    }
    return;
  }
  for (int64_t r = 0; r < rows; ++r, d += ow, src += sld) {
    int64_t o = 0;
    for (; o < lo; ++o) d[o] = E(0);
    if (step == 1)
      for (; o < hi; ++o) d[o] = src[o];
    else
      for (; o < hi; ++o) d[o] = src[o * step];
    for (; o < ow; ++o) d[o] = E(0);
  }
}

// dst[k * ldk + (p - p0)] = x[ci, ih, iw] (0 in the padding) for the rows k = (ci, kh, kw) of `cg`
// channels and the output positions p in [p0, p1). x points at the image's first channel of the
// group; xs are its element strides (c, h, w).
template <class E>
void im2col(const Geometry& g, const E* x, const int64_t* xs, int64_t cg, int64_t p0, int64_t p1, E* dst,
            int64_t ldk) {
  if (p1 <= p0) return;
  const int64_t step = g.sw * xs[2];
  const Stride2* s2 = stride2();
  const int64_t first = p0 / g.ow, last = (p1 - 1) / g.ow;
  // Whole output rows [r0, r1); the first and last rows may be partial.
  const int64_t r0 = p0 == first * g.ow ? first : first + 1;
  const int64_t r1 = p1 == (last + 1) * g.ow ? last + 1 : last;
  for (int64_t kw = 0; kw < g.kw; ++kw) {
    int64_t wlo, whi;
    valid_range(g.ow, g.w, g.sw, g.pw, kw, g.dw, &wlo, &whi);
    const int64_t woff = (kw * g.dw - g.pw) * xs[2];
    for (int64_t kh = 0; kh < g.kh; ++kh) {
      int64_t hlo, hhi;  // output rows whose input row is inside the image
      valid_range(g.oh, g.h, g.sh, g.ph, kh, g.dh, &hlo, &hhi);
      const int64_t hoff = (kh * g.dh - g.ph) * xs[1];
      for (int64_t ci = 0; ci < cg; ++ci) {
        E* row = dst + ((ci * g.kh + kh) * g.kw + kw) * ldk - p0;
        const E* plane = x + ci * xs[0] + woff + hoff;
        // A partial row: columns [a, b) of output row oh.
        auto partial = [&](int64_t oh, int64_t a, int64_t b) {
          E* d = row + oh * g.ow;
          if (oh < hlo || oh >= hhi) {
            std::fill(d + a, d + b, E(0));
            return;
          }
          const E* src = plane + oh * g.sh * xs[1];
          for (int64_t o = a; o < b; ++o) d[o] = o >= wlo && o < whi ? src[o * step] : E(0);
        };
        if (r0 > first) partial(first, p0 - first * g.ow, first == last ? p1 - first * g.ow : g.ow);
        if (r1 > r0) {
          const int64_t v0 = std::min(std::max(r0, hlo), r1), v1 = std::max(std::min(r1, hhi), v0);
          std::fill(row + r0 * g.ow, row + v0 * g.ow, E(0));
          copy_rows(row + v0 * g.ow, g.ow, plane + v0 * g.sh * xs[1], g.sh * xs[1], step, v1 - v0, wlo, whi, s2);
          std::fill(row + v1 * g.ow, row + r1 * g.ow, E(0));
        }
        if (r1 <= last && (last > first || r0 == first)) partial(last, 0, p1 - last * g.ow);
      }
    }
  }
}

// im2col of `count` whole images: dst[k * ldk + i * p + q] for image i (at x + i * xs[0]; xs are
// the element strides n, c, h, w) and position q. At stride 2 with AVX-512 each kernel tap's rows
// of all the images go in one call, which matters for the small planes of a downsampling network.
template <class E>
void im2col_images(const Geometry& g, const E* x, const int64_t* xs, int64_t count, int64_t cg, E* dst,
                   int64_t ldk) {
  const Stride2* s2 = stride2();
  if (!(s2 && g.sw * xs[3] == 2 && (sizeof(E) == 4 || sizeof(E) == 2))) {
    for (int64_t i = 0; i < count; ++i) im2col(g, x + i * xs[0], xs + 1, cg, 0, g.p, dst + i * g.p, ldk);
    return;
  }
  for (int64_t kw = 0; kw < g.kw; ++kw) {
    int64_t wlo, whi;
    valid_range(g.ow, g.w, g.sw, g.pw, kw, g.dw, &wlo, &whi);
    const int64_t woff = (kw * g.dw - g.pw) * xs[3];
    for (int64_t kh = 0; kh < g.kh; ++kh) {
      int64_t hlo, hhi;
      valid_range(g.oh, g.h, g.sh, g.ph, kh, g.dh, &hlo, &hhi);
      const int64_t hoff = (kh * g.dh - g.ph) * xs[2];
      for (int64_t ci = 0; ci < cg; ++ci) {
        E* row = dst + ((ci * g.kh + kh) * g.kw + kw) * ldk;
        const E* plane = x + ci * xs[1] + woff + hoff;
        if (sizeof(E) == 4)
          s2->planes32(reinterpret_cast<uint32_t*>(row), g.p, reinterpret_cast<const uint32_t*>(plane), xs[0],
                       g.sh * xs[2], count, g.oh, hlo, hhi, g.ow, wlo, whi);
        else
          s2->planes16(reinterpret_cast<uint16_t*>(row), g.p, reinterpret_cast<const uint16_t*>(plane), xs[0],
                       g.sh * xs[2], count, g.oh, hlo, hhi, g.ow, wlo, whi);
      }
    }
  }
}

// The adjoint of im2col: acc[ci, ih, iw] += col[k * ldk + (p - p0)] for every (k, p) that im2col
// reads from (ci, ih, iw); acc is a contiguous [cb, h, w] block, col has rows k = (ci, kh, kw) of
// those cb channels.
template <class A>
void col2im(const Geometry& g, const A* col, int64_t ldk, int64_t cb, int64_t p0, int64_t p1, A* acc) {
  for (int64_t kw = 0; kw < g.kw; ++kw) {
    int64_t wlo, whi;
    valid_range(g.ow, g.w, g.sw, g.pw, kw, g.dw, &wlo, &whi);
    const int64_t woff = kw * g.dw - g.pw;
    for (int64_t ci = 0; ci < cb; ++ci)
      for (int64_t kh = 0; kh < g.kh; ++kh) {
        const A* row = col + ((ci * g.kh + kh) * g.kw + kw) * ldk - p0;
        A* plane = acc + ci * g.h * g.w + woff;
        for_rows(g, p0, p1, [&](int64_t oh, int64_t a, int64_t b) {
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.h) return;
          const int64_t lo = std::max(a, wlo), hi = std::min(b, whi);
          const A* s = row + oh * g.ow;
          A* d = plane + ih * g.w;
          if (g.sw == 1)
            for (int64_t o = lo; o < hi; ++o) d[o] += s[o];
          else
            for (int64_t o = lo; o < hi; ++o) d[o * g.sw] += s[o];
        });
      }
  }
}

// col2im of `count` whole images: acc[i * cb * h * w + (ci, ih, iw)] += col[k * ldk + i * p + q], the
// loops of col2im without the bookkeeping of partial rows, taps innermost so that each accumulator
// plane stays in cache while every tap adds to it.
template <class A>
void col2im_images(const Geometry& g, const A* col, int64_t ldk, int64_t count, int64_t cb, A* acc) {
  const int64_t plane = g.h * g.w, taps = g.kh * g.kw;
  std::vector<int64_t> range(size_t(taps * 4));  // per tap: first and end output row, column
  for (int64_t kh = 0; kh < g.kh; ++kh)
    for (int64_t kw = 0; kw < g.kw; ++kw) {
      int64_t* r = &range[size_t((kh * g.kw + kw) * 4)];
      valid_range(g.oh, g.h, g.sh, g.ph, kh, g.dh, &r[0], &r[1]);
      valid_range(g.ow, g.w, g.sw, g.pw, kw, g.dw, &r[2], &r[3]);
    }
  for (int64_t ci = 0; ci < cb; ++ci)
    for (int64_t i = 0; i < count; ++i) {
      A* dst = acc + (i * cb + ci) * plane;
      for (int64_t kh = 0; kh < g.kh; ++kh)
        for (int64_t kw = 0; kw < g.kw; ++kw) {
          const int64_t* r = &range[size_t((kh * g.kw + kw) * 4)];
          const A* src = col + ((ci * g.kh + kh) * g.kw + kw) * ldk + i * g.p;
          A* base = dst + (kh * g.dh - g.ph) * g.w + kw * g.dw - g.pw;
          const int64_t wlo = r[2], whi = r[3];
          for (int64_t oh = r[0]; oh < r[1]; ++oh) {
            A* d = base + oh * g.sh * g.w;
            const A* s = src + oh * g.ow;
            if (g.sw == 1)
              for (int64_t o = wlo; o < whi; ++o) d[o] += s[o];
            else if (g.sw == 2)
              for (int64_t o = wlo; o < whi; ++o) d[2 * o] += s[o];
            else
              for (int64_t o = wlo; o < whi; ++o) d[o * g.sw] += s[o];
          }
        }
    }
}

// How a kernel walks the columns of the im2col matrix: `nb` whole images at a time when an image's
// columns fit the scratch (several small images make one GEMM wide enough to run well), else one
// image in chunks of `pc` columns. nb is capped so that a batch gives at least kMinUnits units of work
// (for the threads); it depends on the shapes only.
constexpr int64_t kMinUnits = 8;

struct Tiles {
  int64_t nb;      // images a unit
  int64_t blocks;  // units along the batch: ceil(n / nb)
  int64_t pc;      // columns a chunk (p when nb > 1)
  int64_t chunks;  // chunks an image: ceil(p / pc)
};

// column_bytes: scratch a column takes; image_bytes: scratch an image takes besides its columns;
// several: whether a unit may take several images.
inline Tiles tile(int64_t n, int64_t p, int64_t column_bytes, int64_t image_bytes = 0, bool several = true) {
  Tiles t;
  const int64_t per_image = column_bytes * p + image_bytes;
  if (several && per_image <= kScratchBytes) {
    t.nb = std::max<int64_t>(1, std::min(kScratchBytes / std::max<int64_t>(1, per_image), (n + kMinUnits - 1) / kMinUnits));
    t.pc = p;
  } else {
    t.nb = 1;
    const int64_t room = std::max<int64_t>(kScratchBytes - image_bytes, kScratchBytes / 2);
    t.pc = std::max<int64_t>(1, std::min(p, std::max<int64_t>(room / std::max<int64_t>(1, column_bytes), 16)));
  }
  t.blocks = (n + t.nb - 1) / t.nb;
  t.chunks = (p + t.pc - 1) / t.pc;
  return t;
}

// Runs fn(u) for u in [0, units): across threads when there are enough units (each unit's GEMM then
// runs on its thread), otherwise one after another so that each GEMM spreads over the threads. The
// threads take units one at a time from a shared counter, so that a thread the OS runs late (a shared
// machine) leaves its share to the others instead of holding up the call; units write disjoint outputs,
// so the results do not depend on who ran what.
template <class Fn>
void run_units(int64_t units, Fn&& fn) {
  const int64_t threads = num_threads();
  if (units < threads) {
    for (int64_t u = 0; u < units; ++u) fn(u);
    return;
  }
  std::atomic<int64_t> next{0};
  parallel_for(threads, 1, [&](int64_t, int64_t) {
    for (int64_t u = next.fetch_add(1, std::memory_order_relaxed); u < units;
         u = next.fetch_add(1, std::memory_order_relaxed))
      fn(u);
  });
}

// Copies channels [0, m) x positions [p0, p1) of images [0, nb) of a 4-d tensor into dst as a [m, nb
// (p1 - p0)] row-major matrix (image after image along a row). base points at channel 0 of image 0; s
// are the tensor's element strides (n, c, h, w); ps the stride of a position when its (h, w) plane is
// flat (see flat()), else 0.
template <class E>
void gather_columns(const E* base, const int64_t* s, int64_t ps, int64_t ow, int64_t m, int64_t nb, int64_t p0,
                    int64_t p1, E* dst) {
  const int64_t np = p1 - p0, cols = nb * np;
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t c = 0; c < m; ++c) {
      const E* src = base + i * s[0] + c * s[1];
      E* d = dst + c * cols + i * np;
      if (ps == 1)
        std::memcpy(d, src + p0, size_t(np) * sizeof(E));
      else if (ps != 0)
        for (int64_t p = p0; p < p1; ++p) d[p - p0] = src[p * ps];
      else
        for (int64_t p = p0; p < p1; ++p) d[p - p0] = src[(p / ow) * s[2] + (p % ow) * s[3]];
    }
}

// The weight as a [co, kg] matrix: its own storage when (ci, kh, kw) flatten to one stride, else a
// row-major copy in `copy` (weight-sized).
template <class E>
const E* weight_matrix(const mt_tensor& w, const Geometry& g, std::vector<E>* copy, int64_t* rs, int64_t* ks) {
  const E* wd = static_cast<const E*>(w.data) + w.layout.offset;
  const int64_t* s = w.layout.strides;
  if (flat(w.layout, 1, 3, ks)) {
    *rs = s[0];
    return wd;
  }
  copy->resize(size_t(g.co * g.kg));
  E* d = copy->data();
  for (int64_t o = 0; o < g.co; ++o)
    for (int64_t c = 0; c < g.cg; ++c)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) *d++ = wd[o * s[0] + c * s[1] + i * s[2] + j * s[3]];
  *rs = g.kg;
  *ks = 1;
  return copy->data();
}

// Whether every element offset of x, and every offset a packed-panel im2col (conv2d.cc,
// conv2d_backward_weight.cc) forms from it, fits an int32 (the AVX-512 gather's offsets).
inline bool panels_fit(const Geometry& g, const int64_t* xs) {
  int64_t extent = (g.n - 1) * xs[0] + (g.c - 1) * xs[1] + (g.h + g.ph + g.kh * g.dh) * xs[2] +
                   (g.w + g.pw + g.kw * g.dw) * xs[3] + (g.ph + 1) * xs[2] + (g.pw + 1) * xs[3];
  return extent < (int64_t(1) << 30) && g.h < (int64_t(1) << 29) && g.w < (int64_t(1) << 29);
}

// The direct convolution (conv2d_direct.cc) for shapes that suit it (small channel counts, AVX-512):
// true when it wrote the result, false when the caller should run its GEMM.
bool direct_forward(const Geometry& g, int32_t dtype, const mt_tensor& x, const mt_tensor& w, const mt_tensor* bias,
                    const mt_tensor& y);
bool direct_backward_input(const Geometry& g, int32_t dtype, const mt_tensor& gy, const mt_tensor& w,
                           const mt_tensor& dx);
bool direct_backward_weight(const Geometry& g, int32_t dtype, const mt_tensor& gy, const mt_tensor& x,
                            const mt_tensor& dw);

// The MT dtype code of T.
template <class T>
constexpr int32_t dtype_of() {
  return std::is_same<T, float>::value ? MT_FLOAT32
         : std::is_same<T, f16>::value ? MT_FLOAT16
         : std::is_same<T, bf16>::value ? MT_BFLOAT16
                                        : MT_FLOAT64;
}

}  // namespace conv
}  // namespace mt
