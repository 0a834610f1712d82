// AVX-512 table of reduce_vec.h. The sums reproduce the canonical order exactly: 64 float lanes are
// four zmm registers (lanes 0-15, 16-31, 32-47, 48-63), 32 double lanes four zmm of eight, and the
// pairwise fold halves the lane count one step at a time, as the scalar reference does.
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

float f16_scalar(uint16_t h) { return _cvtsh_ss(h); }
float bf16_scalar(uint16_t h) {
  const uint32_t b = uint32_t(h) << 16;
  float f;
  __builtin_memcpy(&f, &b, 4);
  return f;
}

__m512 ld_f32(const float* x) { return _mm512_loadu_ps(x); }
__m512 ld_f16(const uint16_t* x) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))); }
__m512 ld_bf16(const uint16_t* x) {
  const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}
float sc_f32(const float* x) { return *x; }
float sc_f16(const uint16_t* x) { return f16_scalar(*x); }
float sc_bf16(const uint16_t* x) { return bf16_scalar(*x); }

// Lane j += lane j+w for w = 8, 4, 2, 1 inside one register; returns lane 0.
float fold16(__m512 a) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}

template <class T, class Ld, class Sc>
float sum_f(const T* x, int64_t n, Ld ld, Sc sc) {
  if (n < 64) {
    float s = sc(x);
    for (int64_t i = 1; i < n; ++i) s += sc(x + i);
    return s;
  }
  __m512 a0 = ld(x), a1 = ld(x + 16), a2 = ld(x + 32), a3 = ld(x + 48);
  const int64_t m = n - n % 64;
  for (int64_t i = 64; i < m; i += 64) {
    a0 = _mm512_add_ps(a0, ld(x + i));
    a1 = _mm512_add_ps(a1, ld(x + i + 16));
    a2 = _mm512_add_ps(a2, ld(x + i + 32));
    a3 = _mm512_add_ps(a3, ld(x + i + 48));
  }
  a0 = _mm512_add_ps(a0, a2);  // w = 32
  a1 = _mm512_add_ps(a1, a3);
  a0 = _mm512_add_ps(a0, a1);  // w = 16
  float r = fold16(a0);
  if (m < n) {
    float t = sc(x + m);
    for (int64_t i = m + 1; i < n; ++i) t += sc(x + i);
    r += t;
  }
  return r;
}

// Loaders wrapped in lambdas so that each instantiation inlines its own (no calls through pointers).
#define MT_LD(f) [](const auto* p) { return f(p); }

float sum_f32(const float* x, int64_t n) { return sum_f(x, n, MT_LD(ld_f32), MT_LD(sc_f32)); }
float sum_f16(const uint16_t* x, int64_t n) { return sum_f(x, n, MT_LD(ld_f16), MT_LD(sc_f16)); }
float sum_bf16(const uint16_t* x, int64_t n) { return sum_f(x, n, MT_LD(ld_bf16), MT_LD(sc_bf16)); }

// Sums terms in double: ld(p) gives the 8 terms of elements p..p+7, sc(p) the term of element p.
template <class T, class Ld, class Sc>
double sum_d(const T* x, int64_t n, Ld ld, Sc sc) {
  if (n < 32) {
    double s = sc(x);
    for (int64_t i = 1; i < n; ++i) s += sc(x + i);
    return s;
  }
  __m512d a0 = ld(x), a1 = ld(x + 8), a2 = ld(x + 16), a3 = ld(x + 24);
  const int64_t m = n - n % 32;
  for (int64_t i = 32; i < m; i += 32) {
    a0 = _mm512_add_pd(a0, ld(x + i));
    a1 = _mm512_add_pd(a1, ld(x + i + 8));
    a2 = _mm512_add_pd(a2, ld(x + i + 16));
    a3 = _mm512_add_pd(a3, ld(x + i + 24));
  }
  a0 = _mm512_add_pd(a0, a2);  // w = 16
  a1 = _mm512_add_pd(a1, a3);
  a0 = _mm512_add_pd(a0, a1);  // w = 8
  const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(a0), _mm512_extractf64x4_pd(a0, 1));
  __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
  q = _mm_add_sd(q, _mm_unpackhi_pd(q, q));
  double r = _mm_cvtsd_f64(q);
  if (m < n) {
    double t = sc(x + m);
    for (int64_t i = m + 1; i < n; ++i) t += sc(x + i);
    r += t;
  }
  return r;
}

__m512d ld_f64(const double* x) { return _mm512_loadu_pd(x); }
__m512d ld_f32_f64(const float* x) { return _mm512_cvtps_pd(_mm256_loadu_ps(x)); }
double sc_f64(const double* x) { return *x; }
double sc_f32_f64(const float* x) { return double(*x); }

double sum_f64(const double* x, int64_t n) { return sum_d(x, n, MT_LD(ld_f64), MT_LD(sc_f64)); }
double sum_f32_f64(const float* x, int64_t n) { return sum_d(x, n, MT_LD(ld_f32_f64), MT_LD(sc_f32_f64)); }

template <class T, class Ld, class Sc>
double sumsq_d(const T* x, int64_t n, double mean, Ld ld, Sc sc) {
  const __m512d mv = _mm512_set1_pd(mean);
  return sum_d(
      x, n,
      [&](const T* p) {
        const __m512d d = _mm512_sub_pd(ld(p), mv);
        return _mm512_mul_pd(d, d);
      },
      [&](const T* p) {
        const double d = sc(p) - mean;
        return d * d;
      });
}
double sumsq_f64(const double* x, int64_t n, double mean) { return sumsq_d(x, n, mean, MT_LD(ld_f64), MT_LD(sc_f64)); }
double sumsq_f32(const float* x, int64_t n, double mean) {
  return sumsq_d(x, n, mean, MT_LD(ld_f32_f64), MT_LD(sc_f32_f64));
}

template <class Ld, class Sc>
float sumsq_half(const uint16_t* x, int64_t n, float mean, Ld ld, Sc sc) {
  const __m512 mv = _mm512_set1_ps(mean);
  return sum_f(
      x, n,
      [&](const uint16_t* p) {
        const __m512 d = _mm512_sub_ps(ld(p), mv);
        return _mm512_mul_ps(d, d);
      },
      [&](const uint16_t* p) {
        const float d = sc(p) - mean;
        return d * d;
      });
}
float sumsq_f16(const uint16_t* x, int64_t n, float mean) { return sumsq_half(x, n, mean, MT_LD(ld_f16), MT_LD(sc_f16)); }
float sumsq_bf16(const uint16_t* x, int64_t n, float mean) {
  return sumsq_half(x, n, mean, MT_LD(ld_bf16), MT_LD(sc_bf16));
}

template <class Ld, class Sc>
void widen(float* dst, const uint16_t* x, int64_t n, Ld ld, Sc sc) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, ld(x + i));
  for (; i < n; ++i) dst[i] = sc(x + i);
}
void widen_f16(float* dst, const uint16_t* x, int64_t n) { widen(dst, x, n, MT_LD(ld_f16), MT_LD(sc_f16)); }
void widen_bf16(float* dst, const uint16_t* x, int64_t n) { widen(dst, x, n, MT_LD(ld_bf16), MT_LD(sc_bf16)); }

__mmask16 tail16(int64_t k) { return __mmask16((1u << k) - 1u); }

template <class T, class Ld, class Sc>
void cols_f(float* acc, const T* x, int64_t n, bool init, Ld ld, Sc sc) {
  int64_t c = 0;
  if (init) {
    for (; c + 16 <= n; c += 16) _mm512_storeu_ps(acc + c, ld(x + c));
  } else {
    for (; c + 16 <= n; c += 16) _mm512_storeu_ps(acc + c, _mm512_add_ps(_mm512_loadu_ps(acc + c), ld(x + c)));
  }
  for (; c < n; ++c) acc[c] = init ? sc(x + c) : acc[c] + sc(x + c);
}

void cols_f32(float* a, const float* x, int64_t n, bool init) { cols_f(a, x, n, init, MT_LD(ld_f32), MT_LD(sc_f32)); }
void cols_f16(float* a, const uint16_t* x, int64_t n, bool init) {
  cols_f(a, x, n, init, MT_LD(ld_f16), MT_LD(sc_f16));
}
void cols_bf16(float* a, const uint16_t* x, int64_t n, bool init) {
  cols_f(a, x, n, init, MT_LD(ld_bf16), MT_LD(sc_bf16));
}
void cols_f64(double* acc, const double* x, int64_t n, bool init) {
  int64_t c = 0;
  if (init) {
    for (; c + 8 <= n; c += 8) _mm512_storeu_pd(acc + c, _mm512_loadu_pd(x + c));
  } else {
    for (; c + 8 <= n; c += 8) _mm512_storeu_pd(acc + c, _mm512_add_pd(_mm512_loadu_pd(acc + c), _mm512_loadu_pd(x + c)));
  }
  for (; c < n; ++c) acc[c] = init ? x[c] : acc[c] + x[c];
}

// Max / min over 16-float vectors; masked-off tail lanes hold the identity (-inf for max, +inf for min).
template <bool Max, class T, class Ld, class LdTail>
float extreme_f(const T* x, int64_t n, Ld ld, LdTail ld_tail) {
  const __m512 id = _mm512_set1_ps(Max ? -__builtin_inff() : __builtin_inff());
  __m512 m0 = id, m1 = id;
  unsigned nan = 0;
  auto step = [&](__m512& m, __m512 v) {
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    m = Max ? _mm512_max_ps(m, v) : _mm512_min_ps(m, v);
  };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    step(m0, ld(x + i));
    step(m1, ld(x + i + 16));
  }
  for (; i + 16 <= n; i += 16) step(m0, ld(x + i));
  if (i < n) step(m1, ld_tail(x + i, tail16(n - i)));
  if (nan != 0) return __builtin_nanf("");
  return Max ? _mm512_reduce_max_ps(_mm512_max_ps(m0, m1)) : _mm512_reduce_min_ps(_mm512_min_ps(m0, m1));
}

template <bool Max>
float extreme_f32(const float* x, int64_t n) {
  const __m512 fill = _mm512_set1_ps(Max ? -__builtin_inff() : __builtin_inff());
  return extreme_f<Max>(x, n, MT_LD(ld_f32), [&](const float* p, __mmask16 k) { return _mm512_mask_loadu_ps(fill, k, p); });
}

// Half tails load the identity's bit pattern into the masked-off lanes before widening.
template <bool Max, bool Bf16>
float extreme_half(const uint16_t* x, int64_t n) {
  const short fill = short(Bf16 ? (Max ? 0xFF80 : 0x7F80) : (Max ? 0xFC00 : 0x7C00));
  auto ld = [&](const uint16_t* p) {
    if constexpr (Bf16) return ld_bf16(p);
    return ld_f16(p);
  };
  return extreme_f<Max>(x, n, ld, [&](const uint16_t* p, __mmask16 k) {
    const __m256i h = _mm256_mask_loadu_epi16(_mm256_set1_epi16(fill), k, p);
    if constexpr (Bf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    return _mm512_cvtph_ps(h);
  });
}

template <bool Max>
double extreme_f64(const double* x, int64_t n) {
  const __m512d id = _mm512_set1_pd(Max ? -__builtin_inf() : __builtin_inf());
  __m512d m0 = id, m1 = id;
  unsigned nan = 0;
  auto step = [&](__m512d& m, __m512d v) {
    nan |= _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
    m = Max ? _mm512_max_pd(m, v) : _mm512_min_pd(m, v);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    step(m0, _mm512_loadu_pd(x + i));
    step(m1, _mm512_loadu_pd(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) step(m0, _mm512_loadu_pd(x + i));
  if (i < n) step(m1, _mm512_mask_loadu_pd(id, __mmask8((1u << (n - i)) - 1u), x + i));
  if (nan != 0) return __builtin_nan("");
  return Max ? _mm512_reduce_max_pd(_mm512_max_pd(m0, m1)) : _mm512_reduce_min_pd(_mm512_min_pd(m0, m1));
}

// Finite checks: the running max of |bits| reaches the exponent mask iff some element is inf or NaN.
bool finite_f32(const float* x, int64_t n) {
  const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF);
  __m512i m0 = _mm512_setzero_si512(), m1 = m0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), abs));
    m1 = _mm512_max_epu32(m1, _mm512_and_si512(_mm512_loadu_si512(x + i + 16), abs));
  }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : tail16(n - i);
    m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_maskz_loadu_epi32(k, x + i), abs));
  }
  return _mm512_cmpge_epu32_mask(_mm512_max_epu32(m0, m1), _mm512_set1_epi32(0x7F800000)) == 0;
}

template <uint16_t Exp>
bool finite_half(const uint16_t* x, int64_t n) {
  const __m512i abs = _mm512_set1_epi16(0x7FFF);
  __m512i m0 = _mm512_setzero_si512(), m1 = m0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    m0 = _mm512_max_epu16(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), abs));
    m1 = _mm512_max_epu16(m1, _mm512_and_si512(_mm512_loadu_si512(x + i + 32), abs));
  }
  for (; i < n; i += 32) {
    const __mmask32 k = n - i >= 32 ? __mmask32(0xFFFFFFFFu) : __mmask32((1u << (n - i)) - 1u);
    m0 = _mm512_max_epu16(m0, _mm512_and_si512(_mm512_maskz_loadu_epi16(k, x + i), abs));
  }
  return _mm512_cmpge_epu16_mask(_mm512_max_epu16(m0, m1), _mm512_set1_epi16(short(Exp))) == 0;
}

bool finite_f64(const double* x, int64_t n) {
  const __m512i abs = _mm512_set1_epi64(0x7FFFFFFFFFFFFFFFll);
  __m512i m0 = _mm512_setzero_si512(), m1 = m0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = _mm512_max_epu64(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), abs));
    m1 = _mm512_max_epu64(m1, _mm512_and_si512(_mm512_loadu_si512(x + i + 8), abs));
  }
  for (; i < n; i += 8) {
    const __mmask8 k = n - i >= 8 ? __mmask8(0xFF) : __mmask8((1u << (n - i)) - 1u);
    m0 = _mm512_max_epu64(m0, _mm512_and_si512(_mm512_maskz_loadu_epi64(k, x + i), abs));
  }
  return _mm512_cmpge_epu64_mask(_mm512_max_epu64(m0, m1), _mm512_set1_epi64(0x7FF0000000000000ll)) == 0;
}

#undef MT_LD

}  // namespace

ReduceVec reduce_vec_avx512() {
  ReduceVec t;
  t.sum_f32 = sum_f32;
  t.sum_f16 = sum_f16;
  t.sum_bf16 = sum_bf16;
  t.sum_f64 = sum_f64;
  t.cols_f32 = cols_f32;
  t.cols_f16 = cols_f16;
  t.cols_bf16 = cols_bf16;
  t.cols_f64 = cols_f64;
  t.sum_f32_f64 = sum_f32_f64;
  t.sumsq_f32 = sumsq_f32;
  t.sumsq_f64 = sumsq_f64;
  t.sumsq_f16 = sumsq_f16;
  t.sumsq_bf16 = sumsq_bf16;
  t.widen_f16 = widen_f16;
  t.widen_bf16 = widen_bf16;
  t.max_f32 = extreme_f32<true>;
  t.min_f32 = extreme_f32<false>;
  t.max_f16 = extreme_half<true, false>;
  t.min_f16 = extreme_half<false, false>;
  t.max_bf16 = extreme_half<true, true>;
  t.min_bf16 = extreme_half<false, true>;
  t.max_f64 = extreme_f64<true>;
  t.min_f64 = extreme_f64<false>;
  t.finite_f32 = finite_f32;
  t.finite_f16 = finite_half<0x7C00>;
  t.finite_bf16 = finite_half<0x7F80>;
  t.finite_f64 = finite_f64;
  return t;
}

}  // namespace mt
