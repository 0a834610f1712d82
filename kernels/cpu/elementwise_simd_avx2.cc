// AVX2 + F16C rows for the elementwise kernels (8 floats a vector; tails go through a small buffer).
// Following the SIMD file rule: every header first, then the target pragma, then only functions in an
// anonymous namespace plus the one entry point, which elementwise_simd.cc calls after checking mt::isa().
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "elementwise_simd.h"

#pragma GCC target("avx2,fma,f16c")

namespace mt {
namespace simd {
namespace {

struct Vec {
  static constexpr int W = 8;   // floats a vector
  static constexpr int B = 32;  // bytes a vector
  using F = __m256;
  using I = __m256i;

  static F set1(float s) { return _mm256_set1_ps(s); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  // max_ps returns b on equality and on NaN: fix ±0 (max(+0, -0) = +0, as a & b) and propagate NaN
  // (as a + b gives it, the same NaN the scalar loop's a + b gives).
  static F maximum(F a, F b) {
    F r = _mm256_max_ps(a, b);
    r = _mm256_blendv_ps(r, _mm256_and_ps(a, b), _mm256_cmp_ps(a, b, _CMP_EQ_OQ));
    return _mm256_blendv_ps(r, _mm256_add_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
  }
  static F minimum(F a, F b) {
    F r = _mm256_min_ps(a, b);
    r = _mm256_blendv_ps(r, _mm256_or_ps(a, b), _mm256_cmp_ps(a, b, _CMP_EQ_OQ));
    return _mm256_blendv_ps(r, _mm256_add_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
  }
  // x < 0 ? 0 : x (NaN and -0 pass through): max_ps returns its second operand on NaN and on ±0.
  static F relu(F x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }

  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F neg(F a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
  // y * 2^(n >> 1) * 2^(n - (n >> 1)) for integral n in [-150, 129].
  static F scale2(F y, F n) {
    const __m256i k = _mm256_cvtps_epi32(n);
    const __m256i k1 = _mm256_srai_epi32(k, 1);
    const __m256i k2 = _mm256_sub_epi32(k, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    const F p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    const F p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
  }
  // NaN lanes of x give x + x (the quiet NaN), the others r.
  static F nan_pass(F x, F r) { return _mm256_blendv_ps(r, _mm256_add_ps(x, x), _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); }

  static I loadi(const char* p) { return _mm256_loadu_si256(reinterpret_cast<const I*>(p)); }
  static void storei(char* p, I v) { _mm256_storeu_si256(reinterpret_cast<I*>(p), v); }
  static I loadi_n(const char* p, int n) {
    alignas(32) char buf[B] = {};
    std::memcpy(buf, p, size_t(n));
    return loadi(buf);
  }
  static void storei_n(char* p, I v, int n) {
    alignas(32) char buf[B];
    storei(buf, v);
    std::memcpy(p, buf, size_t(n));
  }
  static I set1i(uint32_t v) { return _mm256_set1_epi32(int(v)); }
  static I xori(I a, I b) { return _mm256_xor_si256(a, b); }
  static I andi(I a, I b) { return _mm256_and_si256(a, b); }
};

// Partial loads and stores through a zeroed buffer of one vector.
template <class S>
struct Tail {
  using T = typename S::Elem;
  static Vec::F load_n(const T* p, int n) {
    T buf[Vec::W] = {};
    std::memcpy(buf, p, size_t(n) * sizeof(T));
    return S::load(buf);
  }
  static void store_n(T* p, Vec::F v, int n) {
    T buf[Vec::W];
    S::store(buf, v);
    std::memcpy(p, buf, size_t(n) * sizeof(T));
  }
};

struct F32Base {
  using Elem = float;
  static Vec::F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Vec::F v) { _mm256_storeu_ps(p, v); }
};

struct F16Base {
  using Elem = uint16_t;
  static Vec::F load(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static void store(uint16_t* p, Vec::F v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
};

// bfloat16 -> float is a shift; float -> bfloat16 rounds to nearest even in integer arithmetic, NaN
// made quiet, as float_to_bf16 in half.h.
struct BF16Base {
  using Elem = uint16_t;
  static Vec::F load(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static void store(uint16_t* p, Vec::F v) {
    const __m256i u = _mm256_castps_si256(v);
    const __m256i high = _mm256_srli_epi32(u, 16);
    const __m256i lsb = _mm256_and_si256(high, _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    // Both sides are below 2^31, so the signed compare is an unsigned one.
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    const __m256i quiet = _mm256_or_si256(high, _mm256_set1_epi32(0x40));
    const __m256i r = _mm256_blendv_epi8(rounded, quiet, nan);
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), packed);
  }
};

struct F32 : F32Base, Tail<F32Base> {
  using T = float;
};
struct F16 : F16Base, Tail<F16Base> {
  using T = uint16_t;
};
struct BF16 : BF16Base, Tail<BF16Base> {
  using T = uint16_t;
};

#include "elementwise_simd.inc"

}  // namespace

const Table* table_avx2() {
  static const Table t = make_table();
  return &t;
}

}  // namespace simd
}  // namespace mt
