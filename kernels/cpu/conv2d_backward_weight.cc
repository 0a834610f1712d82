// conv2d backward with respect to the weight: dw[o, k] = sum over images n and positions p of
// gy[n, o, p] col_n[k, p], per group: a GEMM with the few output channels as its rows and the many
// im2col rows as its columns, which fills the micro-kernel's wide (2-vector) column tile where the
// transposed product would leave half of it idle for 16 output channels. The work is cut into units of im2col columns (several images, or
// a chunk of one, see conv2d.h) and the units into a fixed number of slices (a function of the shapes
// only, so the bits do not depend on the thread count); each slice sums its units into its own float32
// (float64) partial through the GEMM, and the partials are added in order and rounded once into dw.
//
// args: gy [N, CO, OH, OW], x [N, C, H, W], dw [CO, C / groups, KH, KW] (contiguous).
#include "conv2d.h"
#include "conv2d_panels.h"
#include "gemm.h"

namespace mt {
namespace conv {
namespace {

thread_local Scratch col_buf, gy_buf;

// Positions on the rows, taps on the columns: col^T (conv2d_panels.h).
void fill_panels_t(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) {
  fill_panels(*static_cast<const Panels*>(ctx), position_table, tap_table, k0, kc, j0, nc, nr, dst);
}

constexpr int64_t kMaxSlices = 8;
constexpr int64_t kPartialBytes = int64_t(64) << 20;

template <class T>
bool backward_weight(const Geometry& g, const mt_tensor& gy, const mt_tensor& x, const mt_tensor& dw) {
  std::atomic<bool> oom{false};  // a GEMM could not get its packing buffers
  using E = typename Bits<T>::type;
  using A = Acc<T>;
  const E* xd = static_cast<const E*>(x.data) + x.layout.offset;
  const int64_t* xs = x.layout.strides;
  const E* gyd = static_cast<const E*>(gy.data) + gy.layout.offset;
  const int64_t* gs = gy.layout.strides;
  int64_t gps = 0;
  if (!flat(gy.layout, 2, 2, &gps)) gps = 0;
  const int64_t wsize = g.co * g.kg;
  const Tiles t = tile(g.n, g.p, (g.kg + g.cog) * int64_t(sizeof(E)));
  const int64_t units = t.blocks * t.chunks;
  const int64_t by_memory = std::max<int64_t>(1, kPartialBytes / std::max<int64_t>(1, wsize * int64_t(sizeof(A))));
  const int64_t slices = std::max<int64_t>(1, std::min({units, kMaxSlices, by_memory}));
  std::vector<A> partial(size_t(slices * wsize), A(0));
  const bool packed = std::is_same<T, float>::value && panels_fit(g, xs);
  run_units(slices, [&](int64_t s) {
    A* part = partial.data() + s * wsize;
    for (int64_t u = s * units / slices; u < (s + 1) * units / slices; ++u) {
      const int64_t n0 = (u / t.chunks) * t.nb, nb = std::min(g.n, n0 + t.nb) - n0;
      const int64_t p0 = (u % t.chunks) * t.pc, p1 = std::min(g.p, p0 + t.pc), np = p1 - p0, cols = nb * np;
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const E* xg = xd + n0 * xs[0] + gi * g.cg * xs[1];
        E* col = packed ? nullptr : col_buf.get<E>(g.kg * cols);
        if (!packed && np == g.p)
          im2col_images(g, xg, xs, nb, g.cg, col, cols);
        else if (!packed)
          im2col(g, xg, xs + 1, g.cg, p0, p1, col, cols);
        const E* gyg = gyd + n0 * gs[0] + gi * g.cog * gs[1];
        // gy: row o, column p.
        gemm::Block lhs{gyg + p0 * gps, gs[1], gps};
        if (nb > 1 || gps == 0) {
          E* copy = gy_buf.get<E>(g.cog * cols);
          gather_columns(gyg, gs, gps, g.ow, g.cog, nb, p0, p1, copy);
          lhs = gemm::Block{copy, cols, 1};
        }
        // col^T: row p, column k.
        if (packed) {
          const Panels pn{&g, reinterpret_cast<const float*>(xg), xs, np, p0};
          if (!gemm::product_packed_b(g.cog, g.kg, cols, lhs, gemm::PackB{fill_panels_t, &pn},
                                      reinterpret_cast<float*>(part + gi * g.cog * g.kg), g.kg, 1.0))
            oom = true;
        } else if (!gemm::product(dtype_of<T>(), true, g.cog, g.kg, cols, lhs, gemm::Block{col, 1, cols},
                      gemm::Out{part + gi * g.cog * g.kg, g.kg, 1}, 1.0, 1.0)) oom = true;
      }
    }
  });
  // The partials are laid out as dw: [groups, cog, kg].
  T* out = static_cast<T*>(dw.data) + dw.layout.offset;
  parallel_for(wsize, 4096, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) {
      A v = partial[size_t(i)];
      for (int64_t s = 1; s < slices; ++s) v += partial[size_t(s * wsize + i)];
      out[i] = store<T>(v);
    }
  });
  return !oom;
}

}  // namespace
}  // namespace conv
}  // namespace mt

extern "C" mt_status mt_k_conv2d_backward_weight(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                                 mt_error* err) {
  using namespace mt;
  const char* op = "conv2d_backward_weight";
  conv::Geometry g;
  if (mt_status st = conv::check_backward_weight(op, args, nargs, attrs, nattrs, &g, err)) return st;
  const mt_tensor &gy = args[0], &x = args[1], &dw = args[2];
  if (conv::direct_backward_weight(g, dw.dtype, gy, x, dw)) return MT_OK;
  bool ok = true;
  mt::dispatch_float(dw.dtype, [&](auto t) { ok = conv::backward_weight<decltype(t)>(g, gy, x, dw); });
  if (!ok) return fail(err, MT_ERR_OUT_OF_MEMORY, "%s: out of memory for the GEMM's packing buffers", op);
  return MT_OK;
}
