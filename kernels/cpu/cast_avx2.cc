// AVX2 + F16C conversions of contiguous runs. Entered only through simd_cast_contiguous() once
// mt::isa() says AVX2/F16C are there. AVX2 has no masked 16-bit loads, so the tail goes through a
// zero-padded stack block and is converted by the same instructions as the body.
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

// Memory access for one vector of lanes; `size` is the element size, `lanes` the vector length.
struct F32x8 {
  using V = __m256;
  static constexpr int size = 4, lanes = 8;
  static V ld(const char* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
  static void st(char* p, V v) { _mm256_storeu_ps(reinterpret_cast<float*>(p), v); }
};
struct I32x8 {
  using V = __m256i;
  static constexpr int size = 4, lanes = 8;
  static V ld(const char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void st(char* p, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
};
struct U16x8 {
  using V = __m128i;
  static constexpr int size = 2, lanes = 8;
  static V ld(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static void st(char* p, V v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
};
struct F64x4 {
  using V = __m256d;
  static constexpr int size = 8, lanes = 4;
  static V ld(const char* p) { return _mm256_loadu_pd(reinterpret_cast<const double*>(p)); }
  static void st(char* p, V v) { _mm256_storeu_pd(reinterpret_cast<double*>(p), v); }
};
struct F32x4 {
  using V = __m128;
  static constexpr int size = 4, lanes = 4;
  static V ld(const char* p) { return _mm_loadu_ps(reinterpret_cast<const float*>(p)); }
  static void st(char* p, V v) { _mm_storeu_ps(reinterpret_cast<float*>(p), v); }
};
struct I32x4 {
  using V = __m128i;
  static constexpr int size = 4, lanes = 4;
  static V ld(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static void st(char* p, V v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
};
struct U16x4 {
  using V = __m128i;
  static constexpr int size = 2, lanes = 4;
  static V ld(const char* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }
  static void st(char* p, V v) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v); }
};

template <class In, class Out, typename Out::V (*F)(typename In::V)>
void convert(const void* s, void* d, int64_t n) {
  static_assert(In::lanes == Out::lanes, "lane counts differ");
  constexpr int W = In::lanes;
  const char* src = static_cast<const char*>(s);
  char* dst = static_cast<char*>(d);
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const typename In::V a = In::ld(src + i * In::size);
    const typename In::V b = In::ld(src + (i + W) * In::size);
    Out::st(dst + i * Out::size, F(a));
    Out::st(dst + (i + W) * Out::size, F(b));
  }
  for (; i + W <= n; i += W) Out::st(dst + i * Out::size, F(In::ld(src + i * In::size)));
  if (i < n) {
    alignas(32) char in[W * 8] = {};
    alignas(32) char out[W * 8];
    std::memcpy(in, src + i * In::size, size_t(n - i) * In::size);
    Out::st(out, F(In::ld(in)));
    std::memcpy(dst + i * Out::size, out, size_t(n - i) * Out::size);
  }
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
__m128i f16_bf16(__m128i h) { return f32_bf16(_mm256_cvtph_ps(h)); }
__m128i bf16_f16(__m128i h) { return f32_f16(bf16_f32(h)); }
__m256d f16_f64(__m128i h) { return _mm256_cvtps_pd(_mm_cvtph_ps(h)); }
__m256d bf16_f64(__m128i h) {
  // Four lanes widened in a 256-bit register; the low half holds them.
  return _mm256_cvtps_pd(_mm256_castps256_ps128(bf16_f32(h)));
}
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

}  // namespace

ContigCastFn avx2_cast_contiguous(int32_t s, int32_t d) {
  switch (s * MT_NUM_DTYPES + d) {
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_FLOAT16:
      return convert<F32x8, U16x8, f32_f16>;
    case MT_FLOAT16 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<U16x8, F32x8, f16_f32>;
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_BFLOAT16:
      return convert<F32x8, U16x8, f32_bf16>;
    case MT_BFLOAT16 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<U16x8, F32x8, bf16_f32>;
    case MT_FLOAT16 * MT_NUM_DTYPES + MT_BFLOAT16:
      return convert<U16x8, U16x8, f16_bf16>;
    case MT_BFLOAT16 * MT_NUM_DTYPES + MT_FLOAT16:
      return convert<U16x8, U16x8, bf16_f16>;
    case MT_FLOAT16 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<U16x4, F64x4, f16_f64>;
    case MT_BFLOAT16 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<U16x4, F64x4, bf16_f64>;
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<F32x4, F64x4, f32_f64>;
    case MT_FLOAT64 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<F64x4, F32x4, f64_f32>;
    case MT_INT32 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<I32x8, F32x8, i32_f32>;
    case MT_INT32 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<I32x4, F64x4, i32_f64>;
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_INT32:
      return convert<F32x8, I32x8, f32_i32>;
    case MT_FLOAT64 * MT_NUM_DTYPES + MT_INT32:
      return convert<F64x4, I32x4, f64_i32>;
  }
  return nullptr;
}

}  // namespace mt
