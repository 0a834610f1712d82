// AVX2 + F16C table of reduce_vec.h: reduce_vec.inc over 256-bit registers. 64 float lanes are eight
// ymm registers, 32 double lanes eight ymm of four.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "reduce_vec.h"

#pragma GCC target("avx2,fma,f16c")
// var's d * d then + must stay two roundings, as in the scalar table (GCC contracts intrinsics too).
#pragma GCC optimize("fp-contract=off")

namespace mt {
namespace {

// max / min finish a row in scalar code: AVX2 has no masked 16-bit loads.
constexpr bool kMaskedTail = false;

struct VF {
  using R = __m256;
  using S = float;
  static constexpr int W = 8;
  static R set1(float s) { return _mm256_set1_ps(s); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static R load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static R load_bf16(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R min(R a, R b) { return _mm256_min_ps(a, b); }
  static float fold(R a) {
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  }
  template <bool Max>
  static float fold_ext(R a) {
    auto op = [](__m128 x, __m128 y) { return Max ? _mm_max_ps(x, y) : _mm_min_ps(x, y); };
    __m128 q = op(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    q = op(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(op(q, _mm_shuffle_ps(q, q, 1)));
  }
  using Nan = R;
  static Nan no_nan() { return _mm256_setzero_ps(); }
  static Nan or_nan(Nan acc, R v) { return _mm256_or_ps(acc, _mm256_cmp_ps(v, v, _CMP_UNORD_Q)); }
  static bool any_nan(Nan acc) { return _mm256_movemask_ps(acc) != 0; }
};

struct VD {
  using R = __m256d;
  using S = double;
  static constexpr int W = 4;
  static R set1(double s) { return _mm256_set1_pd(s); }
  static R load(const double* p) { return _mm256_loadu_pd(p); }
  static R load(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static void store(double* p, R v) { _mm256_storeu_pd(p, v); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static R sub(R a, R b) { return _mm256_sub_pd(a, b); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R max(R a, R b) { return _mm256_max_pd(a, b); }
  static R min(R a, R b) { return _mm256_min_pd(a, b); }
  static double fold(R a) {
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
  }
  template <bool Max>
  static double fold_ext(R a) {
    auto op = [](__m128d x, __m128d y) { return Max ? _mm_max_pd(x, y) : _mm_min_pd(x, y); };
    const __m128d q = op(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(op(q, _mm_unpackhi_pd(q, q)));
  }
  using Nan = R;
  static Nan no_nan() { return _mm256_setzero_pd(); }
  static Nan or_nan(Nan acc, R v) { return _mm256_or_pd(acc, _mm256_cmp_pd(v, v, _CMP_UNORD_Q)); }
  static bool any_nan(Nan acc) { return _mm256_movemask_pd(acc) != 0; }
};

struct VB {
  using R = __m256i;
  static constexpr int B = 32;
  static R set1_64(uint64_t v) { return _mm256_set1_epi64x(int64_t(v)); }
  static R load(const char* p) { return _mm256_loadu_si256(reinterpret_cast<const R*>(p)); }
  // Whole dwords with a masked load (masked-off lanes are not read), an odd last word apart.
  static R tail(const char* p, int n, uint64_t mask) {
    const R first = _mm256_cmpgt_epi32(_mm256_set1_epi32(n / 4), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const R v = and_(_mm256_maskload_epi32(reinterpret_cast<const int*>(p), first), set1_64(mask));
    if (n % 4 == 0) return v;
    uint16_t w;
    std::memcpy(&w, p + n - 2, 2);
    return max16(v, _mm256_set1_epi16(short(w & uint16_t(mask >> (8 * ((n - 2) % 8))))));
  }
  static R and_(R a, R b) { return _mm256_and_si256(a, b); }
  static R max16(R a, R b) { return _mm256_max_epu16(a, b); }
  // Lanes below 0x8000: the signed compare is an unsigned one.
  static bool any_ge16(R v, uint16_t x) {
    const R ge = _mm256_cmpgt_epi16(v, _mm256_set1_epi16(short(x - 1)));
    return _mm256_testz_si256(ge, ge) == 0;
  }
};

#include "reduce_vec.inc"

}  // namespace

ReduceVec reduce_vec_avx2() { return make_table(); }

}  // namespace mt
