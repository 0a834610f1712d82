// AVX-512 rows for the elementwise kernels (16 floats a vector; tails with masked loads and stores).
// Following the SIMD file rule: every header first, then the target pragma, then only functions in an
// anonymous namespace plus the one entry point, which elementwise_simd.cc calls after checking mt::isa().
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "elementwise_simd.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")
// GCC 12 flags the deliberately undefined pass-through operand inside its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace mt {
namespace simd {
namespace {

struct Vec {
  static constexpr int W = 16;  // floats a vector
  static constexpr int B = 64;  // bytes a vector
  using F = __m512;
  using I = __m512i;

  static F set1(float s) { return _mm512_set1_ps(s); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  // max_ps returns b on equality and on NaN: fix ±0 (max(+0, -0) = +0, as a & b) and propagate NaN
  // (as a + b gives it, the same NaN the scalar loop's a + b gives).
  static F maximum(F a, F b) {
    F r = _mm512_max_ps(a, b);
    r = _mm512_mask_and_ps(r, _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), a, b);
    return _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q), a, b);
  }
  static F minimum(F a, F b) {
    F r = _mm512_min_ps(a, b);
    r = _mm512_mask_or_ps(r, _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), a, b);
    return _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q), a, b);
  }
  // x < 0 ? 0 : x (NaN and -0 pass through): max_ps returns its second operand on NaN and on ±0.
  static F relu(F x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }

  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F neg(F a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
  // y * 2^(n >> 1) * 2^(n - (n >> 1)) for integral n in [-150, 129].
  static F scale2(F y, F n) {
    const __m512i k = _mm512_cvtps_epi32(n);
    const __m512i k1 = _mm512_srai_epi32(k, 1);
    const __m512i k2 = _mm512_sub_epi32(k, k1);
    const __m512i bias = _mm512_set1_epi32(127);
    const F p1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k1, bias), 23));
    const F p2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k2, bias), 23));
    return _mm512_mul_ps(_mm512_mul_ps(y, p1), p2);
  }
  // NaN lanes of x give x + x (the quiet NaN), the others r.
  static F nan_pass(F x, F r) { return _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x, x); }

  static I loadi(const char* p) { return _mm512_loadu_si512(p); }
  static void storei(char* p, I v) { _mm512_storeu_si512(p, v); }
  static __mmask64 byte_mask(int n) { return n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1; }
  static I loadi_n(const char* p, int n) { return _mm512_maskz_loadu_epi8(byte_mask(n), p); }
  static void storei_n(char* p, I v, int n) { _mm512_mask_storeu_epi8(p, byte_mask(n), v); }
  static I set1i(uint32_t v) { return _mm512_set1_epi32(int(v)); }
  static I xori(I a, I b) { return _mm512_xor_si512(a, b); }
  static I andi(I a, I b) { return _mm512_and_si512(a, b); }
};

__mmask16 lane_mask(int n) { return __mmask16((1u << n) - 1); }

struct F32 {
  using T = float;
  static Vec::F load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, Vec::F v) { _mm512_storeu_ps(p, v); }
  static Vec::F load_n(const T* p, int n) { return _mm512_maskz_loadu_ps(lane_mask(n), p); }
  static void store_n(T* p, Vec::F v, int n) { _mm512_mask_storeu_ps(p, lane_mask(n), v); }
};

struct F16 {
  using T = uint16_t;
  static Vec::F widen(__m256i h) { return _mm512_cvtph_ps(h); }
  static __m256i narrow(Vec::F v) { return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Vec::F load(const T* p) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static void store(T* p, Vec::F v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), narrow(v)); }
  static Vec::F load_n(const T* p, int n) { return widen(_mm256_maskz_loadu_epi16(lane_mask(n), p)); }
  static void store_n(T* p, Vec::F v, int n) { _mm256_mask_storeu_epi16(p, lane_mask(n), narrow(v)); }
};

// bfloat16 -> float is a shift; float -> bfloat16 rounds to nearest even in integer arithmetic (not
// vcvtneps2bf16, which flushes subnormals), NaN made quiet, as float_to_bf16 in half.h.
struct BF16 {
  using T = uint16_t;
  static Vec::F widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m256i narrow(Vec::F v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i high = _mm512_srli_epi32(u, 16);
    const __m512i lsb = _mm512_and_si512(high, _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
  }
  static Vec::F load(const T* p) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static void store(T* p, Vec::F v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), narrow(v)); }
  static Vec::F load_n(const T* p, int n) { return widen(_mm256_maskz_loadu_epi16(lane_mask(n), p)); }
  static void store_n(T* p, Vec::F v, int n) { _mm256_mask_storeu_epi16(p, lane_mask(n), narrow(v)); }
};

#include "elementwise_simd.inc"

}  // namespace

const Table* table_avx512() {
  static const Table t = make_table();
  return &t;
}

}  // namespace simd
}  // namespace mt
