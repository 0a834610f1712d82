// AVX-512 (F, BW, VL, DQ) + F16C conversions of contiguous runs. Entered only through
// simd_cast_contiguous() once mt::isa() says AVX-512 is there. Masked loads and stores handle the
// tail, so a run of any length is converted by the same instructions.
//
// Rules kept bit-identical to half.h (see the NaN notes there): float16 uses vcvtps2ph/vcvtph2ps,
// whose NaN handling is the reference's; bfloat16 uses integer round-to-nearest-even (vcvtneps2bf16
// would flush subnormals); float -> int32 truncates, saturates and maps NaN to 0.
// GCC 12 flags its own _mm512_undefined_*() self-initialisations inside the intrinsics (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstdint>

#include "cast_simd.h"
#include "mantissa/abi.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")

namespace mt {
namespace {

// Memory access for one vector of lanes: full and masked (tail) forms. `size` is the element size.
struct F32x16 {
  using V = __m512;
  static constexpr int size = 4;
  static V ld(const char* p) { return _mm512_loadu_ps(p); }
  static V ld(const char* p, uint32_t m) { return _mm512_maskz_loadu_ps(__mmask16(m), p); }
  static void st(char* p, V v) { _mm512_storeu_ps(p, v); }
  static void st(char* p, V v, uint32_t m) { _mm512_mask_storeu_ps(p, __mmask16(m), v); }
};
struct I32x16 {
  using V = __m512i;
  static constexpr int size = 4;
  static V ld(const char* p) { return _mm512_loadu_si512(p); }
  static V ld(const char* p, uint32_t m) { return _mm512_maskz_loadu_epi32(__mmask16(m), p); }
  static void st(char* p, V v) { _mm512_storeu_si512(p, v); }
  static void st(char* p, V v, uint32_t m) { _mm512_mask_storeu_epi32(p, __mmask16(m), v); }
};
struct U16x16 {
  using V = __m256i;
  static constexpr int size = 2;
  static V ld(const char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static V ld(const char* p, uint32_t m) { return _mm256_maskz_loadu_epi16(__mmask16(m), p); }
  static void st(char* p, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static void st(char* p, V v, uint32_t m) { _mm256_mask_storeu_epi16(p, __mmask16(m), v); }
};
struct F64x8 {
  using V = __m512d;
  static constexpr int size = 8;
  static V ld(const char* p) { return _mm512_loadu_pd(p); }
  static V ld(const char* p, uint32_t m) { return _mm512_maskz_loadu_pd(__mmask8(m), p); }
  static void st(char* p, V v) { _mm512_storeu_pd(p, v); }
  static void st(char* p, V v, uint32_t m) { _mm512_mask_storeu_pd(p, __mmask8(m), v); }
};
struct F32x8 {
  using V = __m256;
  static constexpr int size = 4;
  static V ld(const char* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
  static V ld(const char* p, uint32_t m) { return _mm256_maskz_loadu_ps(__mmask8(m), p); }
  static void st(char* p, V v) { _mm256_storeu_ps(reinterpret_cast<float*>(p), v); }
  static void st(char* p, V v, uint32_t m) { _mm256_mask_storeu_ps(p, __mmask8(m), v); }
};
struct I32x8 {
  using V = __m256i;
  static constexpr int size = 4;
  static V ld(const char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static V ld(const char* p, uint32_t m) { return _mm256_maskz_loadu_epi32(__mmask8(m), p); }
  static void st(char* p, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static void st(char* p, V v, uint32_t m) { _mm256_mask_storeu_epi32(p, __mmask8(m), v); }
};
struct U16x8 {
  using V = __m128i;
  static constexpr int size = 2;
  static V ld(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static V ld(const char* p, uint32_t m) { return _mm_maskz_loadu_epi16(__mmask8(m), p); }
  static void st(char* p, V v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
  static void st(char* p, V v, uint32_t m) { _mm_mask_storeu_epi16(p, __mmask8(m), v); }
};

// W lanes at a time, two vectors per iteration, the remainder under a mask.
template <int W, class In, class Out, typename Out::V (*F)(typename In::V)>
void convert(const void* s, void* d, int64_t n) {
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
    const uint32_t m = (1u << (n - i)) - 1;
    Out::st(dst + i * Out::size, F(In::ld(src + i * In::size, m)), m);
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
// The 8-lane form, for the float64 pair.
__m256 bf16_f32_8(__m128i h) {
  __m256i u = _mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
  const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
  const __mmask8 nan = _mm256_cmpgt_epi32_mask(mag, _mm256_set1_epi32(0x7F800000));
  u = _mm256_mask_or_epi32(u, nan, u, _mm256_set1_epi32(0x00400000));
  return _mm256_castsi256_ps(u);
}

__m256i f32_f16(__m512 x) { return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
__m512 f16_f32(__m256i h) { return _mm512_cvtph_ps(h); }
// Half <-> half through float: the widening is exact, so this rounds once.
__m256i f16_bf16(__m256i h) { return f32_bf16(_mm512_cvtph_ps(h)); }
__m256i bf16_f16(__m256i h) { return f32_f16(bf16_f32(h)); }
__m512d f16_f64(__m128i h) { return _mm512_cvtps_pd(_mm256_cvtph_ps(h)); }
__m512d bf16_f64(__m128i h) { return _mm512_cvtps_pd(bf16_f32_8(h)); }
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

}  // namespace

ContigCastFn avx512_cast_contiguous(int32_t s, int32_t d) {
  switch (s * MT_NUM_DTYPES + d) {
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_FLOAT16:
      return convert<16, F32x16, U16x16, f32_f16>;
    case MT_FLOAT16 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<16, U16x16, F32x16, f16_f32>;
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_BFLOAT16:
      return convert<16, F32x16, U16x16, f32_bf16>;
    case MT_BFLOAT16 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<16, U16x16, F32x16, bf16_f32>;
    case MT_FLOAT16 * MT_NUM_DTYPES + MT_BFLOAT16:
      return convert<16, U16x16, U16x16, f16_bf16>;
    case MT_BFLOAT16 * MT_NUM_DTYPES + MT_FLOAT16:
      return convert<16, U16x16, U16x16, bf16_f16>;
    case MT_FLOAT16 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<8, U16x8, F64x8, f16_f64>;
    case MT_BFLOAT16 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<8, U16x8, F64x8, bf16_f64>;
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<8, F32x8, F64x8, f32_f64>;
    case MT_FLOAT64 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<8, F64x8, F32x8, f64_f32>;
    case MT_INT32 * MT_NUM_DTYPES + MT_FLOAT32:
      return convert<16, I32x16, F32x16, i32_f32>;
    case MT_INT32 * MT_NUM_DTYPES + MT_FLOAT64:
      return convert<8, I32x8, F64x8, i32_f64>;
    case MT_FLOAT32 * MT_NUM_DTYPES + MT_INT32:
      return convert<16, F32x16, I32x16, f32_i32>;
    case MT_FLOAT64 * MT_NUM_DTYPES + MT_INT32:
      return convert<8, F64x8, I32x8, f64_i32>;
  }
  return nullptr;
}

}  // namespace mt
