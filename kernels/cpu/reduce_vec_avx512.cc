// AVX-512 table of reduce_vec.h: reduce_vec.inc over 512-bit registers. 64 float lanes are four zmm
// registers, 32 double lanes four zmm of eight.
// GCC 12's AVX-512 intrinsic headers trip its own uninitialised-value warnings (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstdint>

#include "reduce_vec.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")
// var's d * d then + must stay two roundings, as in the scalar table (GCC contracts intrinsics too).
#pragma GCC optimize("fp-contract=off")

namespace mt {
namespace {

// max / min finish a row with one masked vector.
constexpr bool kMaskedTail = true;

struct VF {
  using R = __m512;
  using S = float;
  static constexpr int W = 16;
  static __mmask16 first(int n) { return __mmask16((1u << n) - 1u); }
  static R f16(__m256i h) { return _mm512_cvtph_ps(h); }
  static R bf16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m256i half(const uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static __m256i half_n(const uint16_t* p, int n) { return _mm256_maskz_loadu_epi16(first(n), p); }

  static R set1(float s) { return _mm512_set1_ps(s); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static R load_f16(const uint16_t* p) { return f16(half(p)); }
  static R load_bf16(const uint16_t* p) { return bf16(half(p)); }
  static R load_n(const float* p, int n, float fill) { return _mm512_mask_loadu_ps(set1(fill), first(n), p); }
  static R load_f16_n(const uint16_t* p, int n, float fill) {
    return _mm512_mask_mov_ps(set1(fill), first(n), f16(half_n(p, n)));
  }
  static R load_bf16_n(const uint16_t* p, int n, float fill) {
    return _mm512_mask_mov_ps(set1(fill), first(n), bf16(half_n(p, n)));
  }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R min(R a, R b) { return _mm512_min_ps(a, b); }
  static float fold(R a) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  }
  template <bool Max>
  static float fold_ext(R a) {
    return Max ? _mm512_reduce_max_ps(a) : _mm512_reduce_min_ps(a);
  }
  using Nan = unsigned;
  static Nan no_nan() { return 0; }
  static Nan or_nan(Nan acc, R v) { return acc | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q); }
  static bool any_nan(Nan acc) { return acc != 0; }
};

struct VD {
  using R = __m512d;
  using S = double;
  static constexpr int W = 8;
  static R set1(double s) { return _mm512_set1_pd(s); }
  static R load(const double* p) { return _mm512_loadu_pd(p); }
  static R load(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  static void store(double* p, R v) { _mm512_storeu_pd(p, v); }
  static R load_n(const double* p, int n, double fill) {
    return _mm512_mask_loadu_pd(set1(fill), __mmask8((1u << n) - 1u), p);
  }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static R sub(R a, R b) { return _mm512_sub_pd(a, b); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R max(R a, R b) { return _mm512_max_pd(a, b); }
  static R min(R a, R b) { return _mm512_min_pd(a, b); }
  static double fold(R a) {
    const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(a), _mm512_extractf64x4_pd(a, 1));
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
  }
  template <bool Max>
  static double fold_ext(R a) {
    return Max ? _mm512_reduce_max_pd(a) : _mm512_reduce_min_pd(a);
  }
  using Nan = unsigned;
  static Nan no_nan() { return 0; }
  static Nan or_nan(Nan acc, R v) { return acc | _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q); }
  static bool any_nan(Nan acc) { return acc != 0; }
};

struct VB {
  using R = __m512i;
  static constexpr int B = 64;
  static R set1_64(uint64_t v) { return _mm512_set1_epi64(int64_t(v)); }
  static R load(const char* p) { return _mm512_loadu_si512(p); }
  static R tail(const char* p, int n, uint64_t mask) {
    return and_(_mm512_maskz_loadu_epi8((__mmask64(1) << n) - 1, p), set1_64(mask));
  }
  static R and_(R a, R b) { return _mm512_and_si512(a, b); }
  static R max16(R a, R b) { return _mm512_max_epu16(a, b); }
  static bool any_ge16(R v, uint16_t x) { return _mm512_cmpge_epu16_mask(v, _mm512_set1_epi16(short(x))) != 0; }
};

#include "reduce_vec.inc"

}  // namespace

ReduceVec reduce_vec_avx512() { return make_table(); }

}  // namespace mt
