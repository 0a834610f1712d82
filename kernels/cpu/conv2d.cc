// conv2d forward: out[n, o, p] = bias[o] + sum_k w[o, k] col_n[k, p] per group, a GEMM (gemm::product)
// over blocks of im2col columns of one or several images (see conv2d.h) into a float32 (float64)
// scratch, then bias and one rounding into out. Each output element is one float32 chain over the
// whole of k, so the bits do not depend on the blocking or the threads.
//
// args: x [N, C, H, W], w [CO, C / groups, KH, KW], optional bias [CO], out [N, CO, OH, OW] (contiguous).
#include "conv2d.h"
#include "conv2d_panels.h"
#include "gemm.h"

namespace mt {
namespace conv {
namespace {

thread_local Scratch col_buf, out_buf;

// Taps on the rows, positions on the columns (conv2d_panels.h).
void fill_forward_panels(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) {
  fill_panels(*static_cast<const Panels*>(ctx), tap_table, position_table, k0, kc, j0, nc, nr, dst);
}

template <class T>
bool forward(const Geometry& g, const mt_tensor& x, const mt_tensor& w, const mt_tensor* bias, const mt_tensor& y) {
  std::atomic<bool> oom{false};  // a GEMM could not get its packing buffers
  using E = typename Bits<T>::type;
  using A = Acc<T>;
  const E* xd = static_cast<const E*>(x.data) + x.layout.offset;
  const int64_t* xs = x.layout.strides;
  std::vector<E> wcopy;
  int64_t ws0, ks;
  const E* wd = weight_matrix(w, g, &wcopy, &ws0, &ks);
  T* yd = static_cast<T*>(y.data) + y.layout.offset;
  const T* bd = bias ? static_cast<const T*>(bias->data) + bias->layout.offset : nullptr;
  const int64_t bs = bias ? bias->layout.strides[0] : 0;
  // A 1x1 kernel at stride 1 without padding reads the input plane of one image itself: no im2col.
  int64_t xps = 0;
  const bool identity = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                        flat(x.layout, 2, 2, &xps);
  const Tiles t = tile(g.n, g.p, g.cog * int64_t(sizeof(A)) + (identity ? 0 : g.kg * int64_t(sizeof(E))), 0, !identity);
  // Into the panels only for narrow outputs (the seed model's 7x7 and 4x4): there one 16-lane gather
  // beats copying rows of at most 8 elements into the im2col matrix and packing it, while wider rows
  // (14 at 28x28) copy faster as rows (measured, bench/conv.mjs).
  const bool packed = std::is_same<T, float>::value && !identity && g.ow <= 8 && panels_fit(g, xs);
  // Bias and one rounding from the GEMM's [cog, cols] scratch into out.
  auto finish = [&](const A* c, int64_t n0, int64_t nb, int64_t gi, int64_t p0, int64_t np, int64_t cols) {
    for (int64_t i = 0; i < nb; ++i)
      for (int64_t o = 0; o < g.cog; ++o) {
        const A b = bd ? A(load(bd[(gi * g.cog + o) * bs])) : A(0);
        const A* src = c + o * cols + i * np;
        T* dst = yd + ((n0 + i) * g.co + gi * g.cog + o) * g.p + p0;
        if (bd)
          for (int64_t p = 0; p < np; ++p) dst[p] = store<T>(src[p] + b);
        else
          for (int64_t p = 0; p < np; ++p) dst[p] = store<T>(src[p]);
      }
  };
  run_units(t.blocks * g.groups * t.chunks, [&](int64_t u) {
    const int64_t chunk = u % t.chunks, gi = (u / t.chunks) % g.groups, blk = u / (t.chunks * g.groups);
    const int64_t n0 = blk * t.nb, nb = std::min(g.n, n0 + t.nb) - n0;
    const int64_t p0 = chunk * t.pc, p1 = std::min(g.p, p0 + t.pc), np = p1 - p0, cols = nb * np;
    const E* xg = xd + n0 * xs[0] + gi * g.cg * xs[1];
    gemm::Block rhs{xg + p0 * xps, xs[1], xps};
    if (packed) {
      float* c = out_buf.get<float>(g.cog * cols);
      const Panels pn{&g, reinterpret_cast<const float*>(xg), xs, np, p0};
      if (!gemm::product_packed_b(g.cog, cols, g.kg, gemm::Block{wd + gi * g.cog * ws0, ws0, ks},
                                  gemm::PackB{fill_forward_panels, &pn}, c, cols))
        oom = true;
      finish(reinterpret_cast<const A*>(c), n0, nb, gi, p0, np, cols);
      return;
    }
    if (!identity) {
      E* col = col_buf.get<E>(g.kg * cols);
      if (np == g.p)
        im2col_images(g, xg, xs, nb, g.cg, col, cols);
      else
        im2col(g, xg, xs + 1, g.cg, p0, p1, col, cols);
      rhs = gemm::Block{col, cols, 1};
    }
    A* c = out_buf.get<A>(g.cog * cols);
    if (!gemm::product(dtype_of<T>(), true, g.cog, cols, g.kg, gemm::Block{wd + gi * g.cog * ws0, ws0, ks}, rhs,
                  gemm::Out{c, cols, 1}, 1.0, 0.0)) oom = true;
    finish(c, n0, nb, gi, p0, np, cols);
  });
  return !oom;
}

}  // namespace
}  // namespace conv
}  // namespace mt

extern "C" mt_status mt_k_conv2d(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                 mt_error* err) {
  using namespace mt;
  const char* op = "conv2d";
  conv::Geometry g;
  const mt_tensor* bias = nullptr;
  if (mt_status st = conv::check_forward(op, args, nargs, attrs, nattrs, &g, &bias, err)) return st;
  const mt_tensor &x = args[0], &w = args[1], &y = args[nargs - 1];
  if (conv::direct_forward(g, y.dtype, x, w, bias, y)) return MT_OK;
  bool ok = true;
  mt::dispatch_float(y.dtype, [&](auto t) { ok = conv::forward<decltype(t)>(g, x, w, bias, y); });
  if (!ok) return fail(err, MT_ERR_OUT_OF_MEMORY, "%s: out of memory for the GEMM's packing buffers", op);
  return MT_OK;
}
