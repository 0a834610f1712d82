// conv2d backward with respect to the input: dx = col2im(w^T gy) per image and group. The GEMM gives
// a block of the im2col-shaped gradient in float32 (float64 for float64), col2im adds it into a float32
// accumulator of a block of input channels, and that block is rounded once into dx.
//
// args: gy [N, CO, OH, OW], w [CO, C / groups, KH, KW], dx [N, C, H, W] (contiguous).
#include "conv2d.h"
#include "gemm.h"

namespace mt {
namespace conv {
namespace {

thread_local Scratch col_buf, acc_buf, gy_buf;

template <class T>
void backward_input(const Geometry& g, const mt_tensor& gy, const mt_tensor& w, const mt_tensor& dx) {
  using E = typename Bits<T>::type;
  using A = Acc<T>;
  std::vector<E> wcopy;
  int64_t ws0, ks;
  const E* wd = weight_matrix(w, g, &wcopy, &ws0, &ks);
  const E* gyd = static_cast<const E*>(gy.data) + gy.layout.offset;
  const int64_t* gs = gy.layout.strides;
  int64_t gps = 0;
  const bool gy_flat = flat(gy.layout, 2, 2, &gps);
  T* dxd = static_cast<T*>(dx.data) + dx.layout.offset;
  const int64_t plane = g.h * g.w;
  // Input channels a unit accumulates at once, so that their float32 planes fit the scratch.
  const int64_t cbs = std::max<int64_t>(1, std::min<int64_t>(g.cg, kScratchBytes / std::max<int64_t>(1, plane * sizeof(A))));
  const int64_t blocks = (g.cg + cbs - 1) / cbs;
  run_units(g.n * g.groups * blocks, [&](int64_t u) {
    const int64_t blk = u % blocks, gi = (u / blocks) % g.groups, n = u / (blocks * g.groups);
    const int64_t c0 = blk * cbs, c1 = std::min(g.cg, c0 + cbs), cb = c1 - c0;
    const int64_t kb = cb * g.kh * g.kw;
    A* acc = acc_buf.get<A>(cb * plane);
    std::fill(acc, acc + cb * plane, A(0));
    const int64_t pc = chunk_columns(kb, sizeof(A), g.p);
    const E* gyg = gyd + n * gs[0] + gi * g.cog * gs[1];
    for (int64_t p0 = 0; p0 < g.p; p0 += pc) {
      const int64_t p1 = std::min(g.p, p0 + pc), np = p1 - p0;
      gemm::Block rhs{gyg + p0 * gps, gs[1], gps};
      if (!gy_flat) {
        E* copy = gy_buf.get<E>(g.cog * np);
        gather_plane(gyg, gs[1], gs[2], gs[3], g.ow, g.cog, p0, p1, copy);
        rhs = gemm::Block{copy, np, 1};
      }
      A* dcol = col_buf.get<A>(kb * np);
      // w^T: row k of the block, column o, at w[o, c0 * kh * kw + k].
      gemm::product(dtype_of<T>(), true, kb, np, g.cog, gemm::Block{wd + gi * g.cog * ws0 + c0 * g.kh * g.kw * ks, ks, ws0},
                    rhs, gemm::Out{dcol, np, 1}, 1.0, 0.0);
      col2im(g, dcol, np, cb, p0, p1, acc);
    }
    T* out = dxd + (n * g.c + gi * g.cg + c0) * plane;
    for (int64_t i = 0; i < cb * plane; ++i) out[i] = store<T>(acc[i]);
  });
}

}  // namespace
}  // namespace conv
}  // namespace mt

extern "C" mt_status mt_k_conv2d_backward_input(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                                mt_error* err) {
  using namespace mt;
  const char* op = "conv2d_backward_input";
  if (nargs != 3) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 3 tensors (gy, w, dx), got %d", op, nargs);
  mt_status st = conv::common_dtype(op, args, nargs, err);
  if (st != MT_OK) return st;
  const mt_tensor &gy = args[0], &w = args[1], &dx = args[2];
  conv::Geometry g;
  st = conv::plan(op, dx.layout, w.layout, gy.layout, attrs, nattrs, &g, err);
  if (st != MT_OK) return st;
  if (!is_contiguous(dx.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected a contiguous dx", op);
  conv::dispatch_float(dx.dtype, [&](auto t) { conv::backward_input<decltype(t)>(g, gy, w, dx); });
  return MT_OK;
}
