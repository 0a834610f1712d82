// conv2d forward: out[n, o, p] = bias[o] + sum_k w[o, k] col_n[k, p] per image n and group, a GEMM
// (gemm::product) over blocks of im2col columns (see conv2d.h). Each output element is one float32
// (float64) chain over the whole of k, bias first, rounded once.
//
// args: x [N, C, H, W], w [CO, C / groups, KH, KW], optional bias [CO], out [N, CO, OH, OW] (contiguous).
#include "conv2d.h"
#include "gemm.h"

namespace mt {
namespace conv {
namespace {

thread_local Scratch col_buf;

template <class T>
void forward(const Geometry& g, const mt_tensor& x, const mt_tensor& w, const mt_tensor* bias, const mt_tensor& y) {
  using E = typename Bits<T>::type;
  const E* xd = static_cast<const E*>(x.data) + x.layout.offset;
  const int64_t* xs = x.layout.strides;
  std::vector<E> wcopy;
  int64_t ws0, ks;
  const E* wd = weight_matrix(w, g, &wcopy, &ws0, &ks);
  E* yd = static_cast<E*>(y.data) + y.layout.offset;
  const E* bd = bias ? static_cast<const E*>(bias->data) + bias->layout.offset : nullptr;
  const int64_t bs = bias ? bias->layout.strides[0] : 0;
  // A 1x1 kernel at stride 1 without padding reads the input plane itself: no im2col.
  int64_t xps = 0;
  const bool identity = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                        flat(x.layout, 2, 2, &xps);
  const int64_t pc = identity ? g.p : chunk_columns(g.kg, sizeof(E), g.p);
  const int64_t chunks = (g.p + pc - 1) / pc;
  run_units(g.n * g.groups * chunks, [&](int64_t u) {
    const int64_t chunk = u % chunks, gi = (u / chunks) % g.groups, n = u / (chunks * g.groups);
    const int64_t p0 = chunk * pc, p1 = std::min(g.p, p0 + pc), np = p1 - p0;
    const E* xg = xd + n * xs[0] + gi * g.cg * xs[1];
    gemm::Block cols{xg + p0 * xps, xs[1], xps};
    if (!identity) {
      E* col = col_buf.get<E>(g.kg * np);
      im2col(g, xg, xs + 1, g.cg, p0, p1, col, np, 1);
      cols = gemm::Block{col, np, 1};
    }
    E* yg = yd + (n * g.co + gi * g.cog) * g.p + p0;
    if (bd)
      for (int64_t o = 0; o < g.cog; ++o) std::fill(yg + o * g.p, yg + o * g.p + np, bd[(gi * g.cog + o) * bs]);
    gemm::product(dtype_of<T>(), false, g.cog, np, g.kg, gemm::Block{wd + gi * g.cog * ws0, ws0, ks}, cols,
                  gemm::Out{yg, g.p, 1}, 1.0, bd ? 1.0 : 0.0);
  });
}

}  // namespace
}  // namespace conv
}  // namespace mt

extern "C" mt_status mt_k_conv2d(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                 mt_error* err) {
  using namespace mt;
  const char* op = "conv2d";
  if (nargs != 3 && nargs != 4)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 3 or 4 tensors (x, w, [bias], out), got %d", op, nargs);
  mt_status st = conv::common_dtype(op, args, nargs, err);
  if (st != MT_OK) return st;
  const mt_tensor &x = args[0], &w = args[1], &y = args[nargs - 1];
  const mt_tensor* bias = nargs == 4 ? &args[2] : nullptr;
  conv::Geometry g;
  st = conv::plan(op, x.layout, w.layout, y.layout, attrs, nattrs, &g, err);
  if (st != MT_OK) return st;
  if (bias && (bias->layout.ndim != 1 || bias->layout.shape[0] != g.co))
    return fail(err, MT_ERR_SHAPE, "%s: expected bias [%lld], got a %d-d bias of %lld elements", op, (long long)g.co,
                bias->layout.ndim, (long long)numel(bias->layout));
  if (!is_contiguous(y.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected a contiguous output", op);
  conv::dispatch_float(y.dtype, [&](auto t) { conv::forward<decltype(t)>(g, x, w, bias, y); });
  return MT_OK;
}
