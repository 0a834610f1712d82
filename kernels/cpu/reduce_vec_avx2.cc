// AVX2 + F16C table of reduce_vec.h. The sums reproduce the canonical order exactly: 64 float lanes
// are eight ymm registers (lanes 8i..8i+7 in register i), 32 double lanes eight ymm of four, and the
// pairwise fold halves the lane count one step at a time, as the scalar reference does.
#include <immintrin.h>

#include <cstdint>

#include "reduce_vec.h"

#pragma GCC target("avx2,fma,f16c")
// var's d * d then + must stay two roundings, as in the scalar table (GCC contracts intrinsics too).
#pragma GCC optimize("fp-contract=off")

namespace mt {
namespace {

float bf16_scalar(uint16_t h) {
  const uint32_t b = uint32_t(h) << 16;
  float f;
  __builtin_memcpy(&f, &b, 4);
  return f;
}

__m256 ld_f32(const float* x) { return _mm256_loadu_ps(x); }
__m256 ld_f16(const uint16_t* x) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x))); }
__m256 ld_bf16(const uint16_t* x) {
  const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
float sc_f32(const float* x) { return *x; }
float sc_f16(const uint16_t* x) { return _cvtsh_ss(*x); }
float sc_bf16(const uint16_t* x) { return bf16_scalar(*x); }

#define MT_LD(f) [](const auto* p) { return f(p); }

// Lane j += lane j+w for w = 4, 2, 1 inside one register; returns lane 0.
float fold8(__m256 a) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
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
  __m256 a[8];
  for (int r = 0; r < 8; ++r) a[r] = ld(x + 8 * r);
  const int64_t m = n - n % 64;
  for (int64_t i = 64; i < m; i += 64)
    for (int r = 0; r < 8; ++r) a[r] = _mm256_add_ps(a[r], ld(x + i + 8 * r));
  for (int r = 0; r < 4; ++r) a[r] = _mm256_add_ps(a[r], a[r + 4]);  // w = 32
  a[0] = _mm256_add_ps(a[0], a[2]);                                   // w = 16
  a[1] = _mm256_add_ps(a[1], a[3]);
  a[0] = _mm256_add_ps(a[0], a[1]);  // w = 8
  float r = fold8(a[0]);
  if (m < n) {
    float t = sc(x + m);
    for (int64_t i = m + 1; i < n; ++i) t += sc(x + i);
    r += t;
  }
  return r;
}

float sum_f32(const float* x, int64_t n) { return sum_f(x, n, MT_LD(ld_f32), MT_LD(sc_f32)); }
float sum_f16(const uint16_t* x, int64_t n) { return sum_f(x, n, MT_LD(ld_f16), MT_LD(sc_f16)); }
float sum_bf16(const uint16_t* x, int64_t n) { return sum_f(x, n, MT_LD(ld_bf16), MT_LD(sc_bf16)); }

// Sums terms in double: ld(p) gives the 4 terms of elements p..p+3, sc(p) the term of element p.
template <class T, class Ld, class Sc>
double sum_d(const T* x, int64_t n, Ld ld, Sc sc) {
  if (n < 32) {
    double s = sc(x);
    for (int64_t i = 1; i < n; ++i) s += sc(x + i);
    return s;
  }
  __m256d a[8];
  for (int r = 0; r < 8; ++r) a[r] = ld(x + 4 * r);
  const int64_t m = n - n % 32;
  for (int64_t i = 32; i < m; i += 32)
    for (int r = 0; r < 8; ++r) a[r] = _mm256_add_pd(a[r], ld(x + i + 4 * r));
  for (int r = 0; r < 4; ++r) a[r] = _mm256_add_pd(a[r], a[r + 4]);  // w = 16
  a[0] = _mm256_add_pd(a[0], a[2]);                                   // w = 8
  a[1] = _mm256_add_pd(a[1], a[3]);
  a[0] = _mm256_add_pd(a[0], a[1]);  // w = 4
  __m128d q = _mm_add_pd(_mm256_castpd256_pd128(a[0]), _mm256_extractf128_pd(a[0], 1));
  q = _mm_add_sd(q, _mm_unpackhi_pd(q, q));
  double r = _mm_cvtsd_f64(q);
  if (m < n) {
    double t = sc(x + m);
    for (int64_t i = m + 1; i < n; ++i) t += sc(x + i);
    r += t;
  }
  return r;
}

__m256d ld_f64(const double* x) { return _mm256_loadu_pd(x); }
__m256d ld_f32_f64(const float* x) { return _mm256_cvtps_pd(_mm_loadu_ps(x)); }
double sc_f64(const double* x) { return *x; }
double sc_f32_f64(const float* x) { return double(*x); }

double sum_f64(const double* x, int64_t n) { return sum_d(x, n, MT_LD(ld_f64), MT_LD(sc_f64)); }
double sum_f32_f64(const float* x, int64_t n) { return sum_d(x, n, MT_LD(ld_f32_f64), MT_LD(sc_f32_f64)); }

template <class T, class Ld, class Sc>
double sumsq_d(const T* x, int64_t n, double mean, Ld ld, Sc sc) {
  const __m256d mv = _mm256_set1_pd(mean);
  return sum_d(
      x, n,
      [&](const T* p) {
        const __m256d d = _mm256_sub_pd(ld(p), mv);
        return _mm256_mul_pd(d, d);
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
  const __m256 mv = _mm256_set1_ps(mean);
  return sum_f(
      x, n,
      [&](const uint16_t* p) {
        const __m256 d = _mm256_sub_ps(ld(p), mv);
        return _mm256_mul_ps(d, d);
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
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, ld(x + i));
  for (; i < n; ++i) dst[i] = sc(x + i);
}
void widen_f16(float* dst, const uint16_t* x, int64_t n) { widen(dst, x, n, MT_LD(ld_f16), MT_LD(sc_f16)); }
void widen_bf16(float* dst, const uint16_t* x, int64_t n) { widen(dst, x, n, MT_LD(ld_bf16), MT_LD(sc_bf16)); }

template <class T, class Ld, class Sc>
void cols_f(float* acc, const T* x, int64_t n, bool init, Ld ld, Sc sc) {
  int64_t c = 0;
  if (init) {
    for (; c + 8 <= n; c += 8) _mm256_storeu_ps(acc + c, ld(x + c));
  } else {
    for (; c + 8 <= n; c += 8) _mm256_storeu_ps(acc + c, _mm256_add_ps(_mm256_loadu_ps(acc + c), ld(x + c)));
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
    for (; c + 4 <= n; c += 4) _mm256_storeu_pd(acc + c, _mm256_loadu_pd(x + c));
  } else {
    for (; c + 4 <= n; c += 4) _mm256_storeu_pd(acc + c, _mm256_add_pd(_mm256_loadu_pd(acc + c), _mm256_loadu_pd(x + c)));
  }
  for (; c < n; ++c) acc[c] = init ? x[c] : acc[c] + x[c];
}

// Max / min: vector body, scalar tail, NaNs tracked separately (maxps drops them).
template <bool Max, class T, class Ld, class Sc>
float extreme_f(const T* x, int64_t n, Ld ld, Sc sc) {
  const float idv = Max ? -__builtin_inff() : __builtin_inff();
  __m256 m0 = _mm256_set1_ps(idv), m1 = m0, nan = _mm256_setzero_ps();
  auto step = [&](__m256& m, __m256 v) {
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    m = Max ? _mm256_max_ps(m, v) : _mm256_min_ps(m, v);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    step(m0, ld(x + i));
    step(m1, ld(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) step(m0, ld(x + i));
  float tail = idv;
  bool tail_nan = false;
  for (; i < n; ++i) {
    const float v = sc(x + i);
    tail_nan |= v != v;
    tail = Max ? (v > tail ? v : tail) : (v < tail ? v : tail);
  }
  if (tail_nan || _mm256_movemask_ps(nan) != 0) return __builtin_nanf("");
  __m256 m = Max ? _mm256_max_ps(m0, m1) : _mm256_min_ps(m0, m1);
  __m128 q = Max ? _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1))
                 : _mm_min_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  q = Max ? _mm_max_ps(q, _mm_movehl_ps(q, q)) : _mm_min_ps(q, _mm_movehl_ps(q, q));
  q = Max ? _mm_max_ss(q, _mm_shuffle_ps(q, q, 1)) : _mm_min_ss(q, _mm_shuffle_ps(q, q, 1));
  const float r = _mm_cvtss_f32(q);
  return Max ? (tail > r ? tail : r) : (tail < r ? tail : r);
}

template <bool Max>
float extreme_f32(const float* x, int64_t n) {
  return extreme_f<Max>(x, n, MT_LD(ld_f32), MT_LD(sc_f32));
}
template <bool Max>
float extreme_f16(const uint16_t* x, int64_t n) {
  return extreme_f<Max>(x, n, MT_LD(ld_f16), MT_LD(sc_f16));
}
template <bool Max>
float extreme_bf16(const uint16_t* x, int64_t n) {
  return extreme_f<Max>(x, n, MT_LD(ld_bf16), MT_LD(sc_bf16));
}

template <bool Max>
double extreme_f64(const double* x, int64_t n) {
  const double idv = Max ? -__builtin_inf() : __builtin_inf();
  __m256d m0 = _mm256_set1_pd(idv), m1 = m0, nan = _mm256_setzero_pd();
  auto step = [&](__m256d& m, __m256d v) {
    nan = _mm256_or_pd(nan, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
    m = Max ? _mm256_max_pd(m, v) : _mm256_min_pd(m, v);
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    step(m0, _mm256_loadu_pd(x + i));
    step(m1, _mm256_loadu_pd(x + i + 4));
  }
  for (; i + 4 <= n; i += 4) step(m0, _mm256_loadu_pd(x + i));
  double tail = idv;
  bool tail_nan = false;
  for (; i < n; ++i) {
    const double v = x[i];
    tail_nan |= v != v;
    tail = Max ? (v > tail ? v : tail) : (v < tail ? v : tail);
  }
  if (tail_nan || _mm256_movemask_pd(nan) != 0) return __builtin_nan("");
  const __m256d m = Max ? _mm256_max_pd(m0, m1) : _mm256_min_pd(m0, m1);
  __m128d q = Max ? _mm_max_pd(_mm256_castpd256_pd128(m), _mm256_extractf128_pd(m, 1))
                  : _mm_min_pd(_mm256_castpd256_pd128(m), _mm256_extractf128_pd(m, 1));
  q = Max ? _mm_max_sd(q, _mm_unpackhi_pd(q, q)) : _mm_min_sd(q, _mm_unpackhi_pd(q, q));
  const double r = _mm_cvtsd_f64(q);
  return Max ? (tail > r ? tail : r) : (tail < r ? tail : r);
}

// Finite checks: the running max of |bits| reaches the exponent mask iff some element is inf or NaN.
bool finite_f32(const float* x, int64_t n) {
  const __m256i abs = _mm256_set1_epi32(0x7FFFFFFF);
  __m256i m0 = _mm256_setzero_si256(), m1 = m0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = _mm256_max_epu32(m0, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), abs));
    m1 = _mm256_max_epu32(m1, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 8)), abs));
  }
  uint32_t lanes[8];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), _mm256_max_epu32(m0, m1));
  uint32_t top = 0;
  for (int j = 0; j < 8; ++j) top = lanes[j] > top ? lanes[j] : top;
  const uint32_t* bits = reinterpret_cast<const uint32_t*>(x);
  for (; i < n; ++i) top = (bits[i] & 0x7FFFFFFFu) > top ? bits[i] & 0x7FFFFFFFu : top;
  return top < 0x7F800000u;
}

template <uint16_t Exp>
bool finite_half(const uint16_t* x, int64_t n) {
  const __m256i abs = _mm256_set1_epi16(0x7FFF);
  __m256i m0 = _mm256_setzero_si256(), m1 = m0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_epu16(m0, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), abs));
    m1 = _mm256_max_epu16(m1, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 16)), abs));
  }
  uint16_t lanes[16];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), _mm256_max_epu16(m0, m1));
  unsigned top = 0;
  for (int j = 0; j < 16; ++j) top = lanes[j] > top ? lanes[j] : top;
  for (; i < n; ++i) top = unsigned(x[i] & 0x7FFFu) > top ? unsigned(x[i] & 0x7FFFu) : top;
  return top < Exp;
}

bool finite_f64(const double* x, int64_t n) {
  const __m256i exp = _mm256_set1_epi64x(0x7FF0000000000000ll);
  __m256i bad = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 4));
    bad = _mm256_or_si256(bad, _mm256_cmpeq_epi64(_mm256_and_si256(a, exp), exp));
    bad = _mm256_or_si256(bad, _mm256_cmpeq_epi64(_mm256_and_si256(b, exp), exp));
  }
  const uint64_t* bits = reinterpret_cast<const uint64_t*>(x);
  uint64_t tail = 0;
  for (; i < n; ++i) tail |= uint64_t((bits[i] & 0x7FF0000000000000ull) == 0x7FF0000000000000ull);
  return _mm256_testz_si256(bad, bad) != 0 && tail == 0;
}

#undef MT_LD

}  // namespace

ReduceVec reduce_vec_avx2() {
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
  t.max_f16 = extreme_f16<true>;
  t.min_f16 = extreme_f16<false>;
  t.max_bf16 = extreme_bf16<true>;
  t.min_bf16 = extreme_bf16<false>;
  t.max_f64 = extreme_f64<true>;
  t.min_f64 = extreme_f64<false>;
  t.finite_f32 = finite_f32;
  t.finite_f16 = finite_half<0x7C00>;
  t.finite_bf16 = finite_half<0x7F80>;
  t.finite_f64 = finite_f64;
  return t;
}

}  // namespace mt
