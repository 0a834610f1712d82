// conv2d backward with respect to the input: dx = col2im(w^T gy) per image and group. The GEMM gives
// a block of the im2col-shaped gradient in float32 (float64 for float64) for one or several images,
// col2im adds it into float32 accumulators of (a block of) their input channels, and those are rounded
// once into dx.
//
// args: gy [N, CO, OH, OW], w [CO, C / groups, KH, KW], dx [N, C, H, W] (contiguous).
#include "conv2d.h"
#include "gemm.h"

namespace mt {
namespace conv {
namespace {

thread_local Scratch col_buf, acc_buf, gy_buf;

template <class T>
bool backward_input(const Geometry& g, const mt_tensor& gy, const mt_tensor& w, const mt_tensor& dx) {
  std::atomic<bool> oom{false};  // a GEMM could not get its packing buffers
  using E = typename Bits<T>::type;
  using A = Acc<T>;
  std::vector<E> wcopy;
  int64_t ws0, ks;
  const E* wd = weight_matrix(w, g, &wcopy, &ws0, &ks);
  const E* gyd = static_cast<const E*>(gy.data) + gy.layout.offset;
  const int64_t* gs = gy.layout.strides;
  int64_t gps = 0;
  if (!flat(gy.layout, 2, 2, &gps)) gps = 0;
  T* dxd = static_cast<T*>(dx.data) + dx.layout.offset;
  const int64_t plane = g.h * g.w;
  const int64_t col_bytes = g.kg * int64_t(sizeof(A)) + g.cog * int64_t(sizeof(E));
  Tiles t = tile(g.n, g.p, col_bytes, g.cg * plane * int64_t(sizeof(A)));
  // An image whose channels' float32 planes do not fit the scratch goes a block of channels at a time.
  int64_t cbs = g.cg;
  if (t.nb == 1 && g.cg * plane * int64_t(sizeof(A)) > kScratchBytes / 2) {
    cbs = std::max<int64_t>(1, std::min<int64_t>(g.cg, kScratchBytes / 2 / std::max<int64_t>(1, plane * sizeof(A))));
    t = tile(g.n, g.p, cbs * g.kh * g.kw * int64_t(sizeof(A)) + g.cog * int64_t(sizeof(E)), cbs * plane * int64_t(sizeof(A)),
             false);
  }
  const int64_t cblocks = (g.cg + cbs - 1) / cbs;
  run_units(t.blocks * g.groups * cblocks, [&](int64_t u) {
    const int64_t cblk = u % cblocks, gi = (u / cblocks) % g.groups, blk = u / (cblocks * g.groups);
    const int64_t n0 = blk * t.nb, nb = std::min(g.n, n0 + t.nb) - n0;
    const int64_t c0 = cblk * cbs, cb = std::min(g.cg, c0 + cbs) - c0, kb = cb * g.kh * g.kw;
    A* acc = acc_buf.get<A>(nb * cb * plane);
    std::fill(acc, acc + nb * cb * plane, A(0));
    const E* gyg = gyd + n0 * gs[0] + gi * g.cog * gs[1];
    for (int64_t p0 = 0; p0 < g.p; p0 += t.pc) {
      const int64_t p1 = std::min(g.p, p0 + t.pc), np = p1 - p0, cols = nb * np;
      gemm::Block rhs{gyg + p0 * gps, gs[1], gps};
      if (nb > 1 || gps == 0) {
        E* copy = gy_buf.get<E>(g.cog * cols);
        gather_columns(gyg, gs, gps, g.ow, g.cog, nb, p0, p1, copy);
        rhs = gemm::Block{copy, cols, 1};
      }
      A* dcol = col_buf.get<A>(kb * cols);
      // w^T: row k of the channel block, column o, at w[o, c0 * kh * kw + k].
      if (!gemm::product(dtype_of<T>(), true, kb, cols, g.cog,
                    gemm::Block{wd + gi * g.cog * ws0 + c0 * g.kh * g.kw * ks, ks, ws0}, rhs, gemm::Out{dcol, cols, 1},
                    1.0, 0.0)) oom = true;
      if (np == g.p)
        col2im_images(g, dcol, cols, nb, cb, acc);
      else
        col2im(g, dcol, cols, cb, p0, p1, acc);
    }
    for (int64_t i = 0; i < nb; ++i) {
      T* out = dxd + ((n0 + i) * g.c + gi * g.cg + c0) * plane;
      const A* a = acc + i * cb * plane;
      for (int64_t e = 0; e < cb * plane; ++e) out[e] = store<T>(a[e]);
    }
  });
  return !oom;
}

}  // namespace
}  // namespace conv
}  // namespace mt

extern "C" mt_status mt_k_conv2d_backward_input(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                                mt_error* err) {
  using namespace mt;
  const char* op = "conv2d_backward_input";
  conv::Geometry g;
  if (mt_status st = conv::check_backward_input(op, args, nargs, attrs, nattrs, &g, err)) return st;
  const mt_tensor &gy = args[0], &w = args[1], &dx = args[2];
  // Nothing to write (and no channel blocks to divide an empty channel count into).
  if (numel(dx.layout) == 0) return MT_OK;
  if (conv::direct_backward_input(g, dx.dtype, gy, w, dx)) return MT_OK;
  bool ok = true;
  mt::dispatch_float(dx.dtype, [&](auto t) { ok = conv::backward_input<decltype(t)>(g, gy, w, dx); });
  if (!ok) return fail(err, MT_ERR_OUT_OF_MEMORY, "%s: out of memory for the GEMM's packing buffers", op);
  return MT_OK;
}
