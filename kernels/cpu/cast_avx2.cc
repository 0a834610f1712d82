// AVX2 + F16C conversions of contiguous runs (cast_simd.inc over 256-bit registers). Entered only
// through simd_cast_contiguous() once mt::isa() says AVX2/F16C are there.
//
// Rules kept bit-identical to half.h: see cast_avx512.cc.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "cast_simd.h"
#include "mantissa/abi.h"

#pragma GCC target("avx2,fma,f16c")

namespace mt {
namespace {

// The tail of a run through a zeroed register in memory: AVX2 has no masked 16-bit loads and stores.
template <class R>
void load_part(R& v, const char* p, int bytes) {
  v = R{};
  std::memcpy(&v, p, size_t(bytes));
}
template <class R>
void store_part(char* p, R v, int bytes) {
  std::memcpy(p, &v, size_t(bytes));
}

// float -> bfloat16 as 32-bit lanes (see cast_avx512.cc): round to nearest even, NaN quieted.
__m256i bf16_round32(__m256i u) {
  const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
  const __m256i nan = _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7F800000));
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  const __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF)));
  const __m256i q = _mm256_or_si256(u, _mm256_set1_epi32(0x00400000));
  return _mm256_srli_epi32(_mm256_blendv_epi8(r, q, nan), 16);
}
__m128i f32_bf16(__m256 x) {
  const __m256i r = bf16_round32(_mm256_castps_si256(x));
  // Lanes hold 0..0xFFFF, so the unsigned-saturating pack is a plain narrowing.
  return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}
__m256i bf16_widen32(__m256i h32) {
  const __m256i u = _mm256_slli_epi32(h32, 16);
  const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
  const __m256i nan = _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7F800000));
  return _mm256_or_si256(u, _mm256_and_si256(nan, _mm256_set1_epi32(0x00400000)));
}
__m256 bf16_f32(__m128i h) { return _mm256_castsi256_ps(bf16_widen32(_mm256_cvtepu16_epi32(h))); }
__m128i f32_f16(__m256 x) { return _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT); }
__m256 f16_f32(__m128i h) { return _mm256_cvtph_ps(h); }
__m128 f16_f32h(__m128i h) { return _mm_cvtph_ps(h); }
// Four lanes widened in a 256-bit register; the low half holds them.
__m128 bf16_f32h(__m128i h) { return _mm256_castps256_ps128(bf16_f32(h)); }
__m256d f32_f64(__m128 x) { return _mm256_cvtps_pd(x); }
__m128 f64_f32(__m256d x) { return _mm256_cvtpd_ps(x); }
__m256 i32_f32(__m256i x) { return _mm256_cvtepi32_ps(x); }
__m256d i32_f64(__m128i x) { return _mm256_cvtepi32_pd(x); }
__m256i f32_i32(__m256 x) {
  const __m256i t = _mm256_cvttps_epi32(x);
  const __m256 big = _mm256_cmp_ps(x, _mm256_set1_ps(2147483648.0f), _CMP_GE_OQ);
  const __m256i sat = _mm256_blendv_epi8(t, _mm256_set1_epi32(INT32_MAX), _mm256_castps_si256(big));
  return _mm256_and_si256(sat, _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_ORD_Q)));
}
__m128i f64_i32(__m256d x) {
  x = _mm256_and_pd(x, _mm256_cmp_pd(x, x, _CMP_ORD_Q));
  x = _mm256_min_pd(_mm256_max_pd(x, _mm256_set1_pd(-2147483648.0)), _mm256_set1_pd(2147483647.0));
  return _mm256_cvttpd_epi32(x);
}

#include "cast_simd.inc"

}  // namespace

ContigCastFn avx2_cast_contiguous(int32_t s, int32_t d) { return cast_table(s, d); }

}  // namespace mt
