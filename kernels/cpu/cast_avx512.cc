// AVX-512 (F, BW, VL, DQ) + F16C conversions of contiguous runs (cast_simd.inc over 512-bit registers).
// Entered only through simd_cast_contiguous() once mt::isa() says AVX-512 is there. Masked loads and
// stores handle the tail, so a run of any length is converted by the same instructions.
//
// Rules kept bit-identical to half.h (see the NaN notes there): float16 uses vcvtps2ph/vcvtph2ps,
// whose NaN handling is the reference's; bfloat16 uses integer round-to-nearest-even (vcvtneps2bf16
// would flush subnormals); float -> int32 truncates, saturates and maps NaN to 0.
// GCC 12 flags its own _mm512_undefined_*() self-initialisations inside the intrinsics (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "cast_simd.h"
#include "mantissa/abi.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")

namespace mt {
namespace {

// The tail of a run: byte-masked loads and stores at the register's own width (bytes < its size).
template <class R>
void load_part(R& v, const char* p, int bytes) {
  const __mmask64 k = (__mmask64(1) << bytes) - 1;
  if constexpr (sizeof(R) == 16) {
    v = __builtin_bit_cast(R, _mm_maskz_loadu_epi8(__mmask16(k), p));
  } else if constexpr (sizeof(R) == 32) {
    v = __builtin_bit_cast(R, _mm256_maskz_loadu_epi8(__mmask32(k), p));
  } else {
    v = __builtin_bit_cast(R, _mm512_maskz_loadu_epi8(k, p));
  }
}
template <class R>
void store_part(char* p, R v, int bytes) {
  const __mmask64 k = (__mmask64(1) << bytes) - 1;
  if constexpr (sizeof(R) == 16) {
    _mm_mask_storeu_epi8(p, __mmask16(k), __builtin_bit_cast(__m128i, v));
  } else if constexpr (sizeof(R) == 32) {
    _mm256_mask_storeu_epi8(p, __mmask32(k), __builtin_bit_cast(__m256i, v));
  } else {
    _mm512_mask_storeu_epi8(p, k, __builtin_bit_cast(__m512i, v));
  }
}

// float -> bfloat16: add 0x7FFF plus the lowest kept bit, then truncate (round to nearest even; a
// carry into the exponent gives the next binade or inf). NaN: set the quiet bit instead.
__m256i f32_bf16(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i mag = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(mag, _mm512_set1_epi32(0x7F800000));
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
  r = _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x00400000));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
}
__m512 bf16_f32(__m256i h) {
  __m512i u = _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16);
  const __m512i mag = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(mag, _mm512_set1_epi32(0x7F800000));
  u = _mm512_mask_or_epi32(u, nan, u, _mm512_set1_epi32(0x00400000));
  return _mm512_castsi512_ps(u);
}
// The 8-lane form, for the float64 pair (on ymm registers: the zmm form costs a quarter more there).
__m256 bf16_f32h(__m128i h) {
  __m256i u = _mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
  const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
  const __mmask8 nan = _mm256_cmpgt_epi32_mask(mag, _mm256_set1_epi32(0x7F800000));
  u = _mm256_mask_or_epi32(u, nan, u, _mm256_set1_epi32(0x00400000));
  return _mm256_castsi256_ps(u);
}
__m256i f32_f16(__m512 x) { return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
__m512 f16_f32(__m256i h) { return _mm512_cvtph_ps(h); }
__m256 f16_f32h(__m128i h) { return _mm256_cvtph_ps(h); }
__m512d f32_f64(__m256 x) { return _mm512_cvtps_pd(x); }
__m256 f64_f32(__m512d x) { return _mm512_cvtpd_ps(x); }
__m512 i32_f32(__m512i x) { return _mm512_cvtepi32_ps(x); }
__m512d i32_f64(__m256i x) { return _mm512_cvtepi32_pd(x); }
// Truncate; >= 2^31 saturates (cvtt gives INT32_MIN there, which is right only for the low side); NaN -> 0.
__m512i f32_i32(__m512 x) {
  __m512i t = _mm512_cvttps_epi32(x);
  t = _mm512_mask_mov_epi32(t, _mm512_cmp_ps_mask(x, _mm512_set1_ps(2147483648.0f), _CMP_GE_OQ),
                            _mm512_set1_epi32(INT32_MAX));
  return _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), t);
}
// float64 holds every int32 bound exactly: clamp (NaN -> 0 first), then truncate.
__m256i f64_i32(__m512d x) {
  x = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, x, _CMP_ORD_Q), x);
  x = _mm512_min_pd(_mm512_max_pd(x, _mm512_set1_pd(-2147483648.0)), _mm512_set1_pd(2147483647.0));
  return _mm512_cvttpd_epi32(x);
}

#include "cast_simd.inc"

}  // namespace

ContigCastFn avx512_cast_contiguous(int32_t s, int32_t d) { return cast_table(s, d); }

}  // namespace mt
