// AVX-512 form of unscale_check's contiguous rows: widen (float16 via vcvtph2ps, bfloat16 by a shift,
// float32 as is), multiply by 1/scale and test the exponent field, all in one register pass, so the
// fused unscale costs one read of the gradient and one write of the master gradient. Tails use masked
// loads and stores. Entered only through unscale_row_avx512() once mt::isa() says AVX-512 is there.
// GCC 12 flags its own _mm512_undefined_*() self-initialisations inside the intrinsics (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstdint>

#include "mantissa/abi.h"
#include "unscale_check.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")

namespace mt {
namespace {

__m512 widen(int32_t dtype, const void* p, int64_t i, __mmask16 k) {
  if (dtype == MT_FLOAT32) return _mm512_maskz_loadu_ps(k, static_cast<const float*>(p) + i);
  const __m256i h = _mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(p) + i);
  if (dtype == MT_FLOAT16) return _mm512_cvtph_ps(h);
  // bfloat16: the upper half of a float32 (a NaN stays a NaN; its payload does not matter here).
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

template <int32_t Dtype>
bool row(const void* src, float* dst, int64_t n, float inv_scale) {
  const __m512 k = _mm512_set1_ps(inv_scale);
  const __m512i exp = _mm512_set1_epi32(0x7f800000);
  __mmask16 bad = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(widen(Dtype, src, i, 0xffff), k);
    bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(v), exp), exp);
    _mm512_storeu_ps(dst + i, v);
  }
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_mul_ps(widen(Dtype, src, i, m), k);
    bad |= _mm512_mask_cmpeq_epi32_mask(m, _mm512_and_si512(_mm512_castps_si512(v), exp), exp);
    _mm512_mask_storeu_ps(dst + i, m, v);
  }
  return bad == 0;
}

}  // namespace

UnscaleRowFn unscale_row_avx512(int32_t src_dtype) {
  switch (src_dtype) {
    case MT_FLOAT32:
      return row<MT_FLOAT32>;
    case MT_FLOAT16:
      return row<MT_FLOAT16>;
    case MT_BFLOAT16:
      return row<MT_BFLOAT16>;
    default:
      return nullptr;
  }
}

}  // namespace mt
