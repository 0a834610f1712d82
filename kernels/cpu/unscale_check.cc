// The loss scaler's per-step pass: every model gradient is multiplied by 1/scale into its master
// gradient and checked for inf/NaN in the same read, so the overflow check costs no extra pass over
// memory and no host round-trip per tensor (Apex's multi_tensor_scale, PyTorch's
// _amp_foreach_non_finite_check_and_unscale_). A step with an overflow is skipped, so the values
// written then do not matter; which tensor overflowed does, for the diagnosis, and is reported per pair.
//
// unscale_check(src_0 .. src_{n-1}, dst_0 .. dst_{n-1}, found) attrs [inv_scale]:
//   dst_i = src_i * inv_scale computed in float (double for float64), rounded once to dst_i's dtype;
//   found (int32, [n]) gets 1 where the unscaled values of pair i hold an inf or NaN, else 0.
//   dst_i may be src_i itself (unscale in place).
#include <atomic>
#include <cmath>
#include <cstring>

#include "cast_simd.h"
#include "isa.h"
#include "optim_args.h"
#include "parallel.h"
#include "strided.h"
#include "unscale_check.h"

namespace {

using namespace mt;

constexpr int64_t kChunk = 4096;

bool all_finite_f32(const float* p, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, p + i, 4);
    bad |= uint32_t((b & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

// Contiguous source into a contiguous float32 destination: the SIMD cast (exact, as the cast kernel)
// then a multiply and a branch-free finiteness test on the float32 values, chunk by chunk in cache.
bool unscale_into_f32(const mt_tensor& src, mt_tensor& dst, float inv_scale) {
  const int64_t n = numel(src.layout);
  const int64_t isz = mt_dtype_size(src.dtype);
  const char* s = static_cast<const char*>(src.data) + src.layout.offset * isz;
  float* d = static_cast<float*>(dst.data) + dst.layout.offset;
  const ContigCastFn widen = src.dtype == MT_FLOAT32 ? nullptr : simd_cast_contiguous(src.dtype, MT_FLOAT32);
  // One register pass where AVX-512 is there; else the cast, a multiply and a check over each chunk.
  const UnscaleRowFn fused = isa() >= Isa::Avx512 ? unscale_row_avx512(src.dtype) : nullptr;
  std::atomic<bool> finite{true};
  parallel_for((n + kChunk - 1) / kChunk, 8, [&](int64_t c0, int64_t c1) {
    bool ok = true;
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk, m = std::min(kChunk, n - b);
      float* out = d + b;
      if (fused != nullptr) {
        ok &= fused(s + b * isz, out, m, inv_scale);
        continue;
      }
      if (src.dtype == MT_FLOAT32) {
        const float* in = reinterpret_cast<const float*>(s) + b;
        for (int64_t i = 0; i < m; ++i) out[i] = in[i] * inv_scale;
      } else if (widen != nullptr) {
        widen(s + b * isz, out, m);
        for (int64_t i = 0; i < m; ++i) out[i] *= inv_scale;
      } else {
        dispatch_float(src.dtype, [&](auto tag) {
          using T = decltype(tag);
          const T* in = reinterpret_cast<const T*>(s) + b;
          for (int64_t i = 0; i < m; ++i) out[i] = float(load(in[i])) * inv_scale;
        });
      }
      ok &= all_finite_f32(out, m);
    }
    if (!ok) finite.store(false, std::memory_order_relaxed);
  });
  return finite.load();
}

// Any layout and any float destination dtype: the strided reference loop.
bool unscale_strided(mt_tensor& src, mt_tensor& dst, double inv_scale) {
  std::atomic<bool> finite{true};
  dispatch_float(src.dtype, [&](auto stag) {
    using S = decltype(stag);
    dispatch_float(dst.dtype, [&](auto dtag) {
      using D = decltype(dtag);
      using A = std::conditional_t<std::is_same_v<S, double> || std::is_same_v<D, double>, double, float>;
      const A k = A(inv_scale);
      mt_tensor* ts[2] = {&src, &dst};
      const int64_t sizes[2] = {int64_t(sizeof(S)), int64_t(sizeof(D))};
      Rows<2>(ts, sizes).run([&](char** ptr, const int64_t* st, int64_t n) {
        bool ok = true;
        for (int64_t i = 0; i < n; ++i) {
          const A v = A(load(*reinterpret_cast<const S*>(ptr[0] + i * st[0]))) * k;
          ok &= std::isfinite(v);
          *reinterpret_cast<D*>(ptr[1] + i * st[1]) = store<D>(typename OpMath<D>::type(v));
        }
        if (!ok) finite.store(false, std::memory_order_relaxed);
      });
    });
  });
  return finite.load();
}

}  // namespace

extern "C" mt_status mt_k_unscale_check(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                        mt_error* err) {
  using namespace mt;
  MT_TRY(check_unscale_check(args, nargs, attrs, nattrs, err));
  const double inv_scale = attrs[0];
  const int n = (nargs - 1) / 2;
  mt_tensor& found = args[nargs - 1];
  for (int i = 0; i < n; ++i) {
    mt_tensor &src = args[i], &dst = args[n + i];
    const bool fast = dst.dtype == MT_FLOAT32 && is_contiguous(src.layout) && is_contiguous(dst.layout) &&
                      src.dtype != MT_FLOAT64;
    const bool finite = fast ? unscale_into_f32(src, dst, float(inv_scale)) : unscale_strided(src, dst, inv_scale);
    base_of<int32_t>(found)[i * found.layout.strides[0]] = finite ? 0 : 1;
  }
  return MT_OK;
}
