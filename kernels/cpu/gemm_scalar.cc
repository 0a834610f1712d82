// Portable GEMM pieces (no SIMD assumed): the shared code of gemm_simd.inc over a 4-float "vector" of
// plain floats, with std::fma so that every product is accumulated exactly as on the SIMD paths.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "half.h"

namespace mt {
namespace gemm {
namespace {

struct Vec {
  static constexpr int W = 4;
  struct F {
    float v[W];
  };
  static F zero() { return F{{0, 0, 0, 0}}; }
  static F load(const float* p) { return F{{p[0], p[1], p[2], p[3]}}; }
  static void store(float* p, F x) { std::memcpy(p, x.v, sizeof x.v); }
  static F set1(float s) { return F{{s, s, s, s}}; }
  static F fma(F a, F b, F c) {
    for (int i = 0; i < W; ++i) c.v[i] = std::fma(a.v[i], b.v[i], c.v[i]);
    return c;
  }
  static F mul(F a, F b) {
    for (int i = 0; i < W; ++i) a.v[i] *= b.v[i];
    return a;
  }
  static float fmaf(float a, float b, float c) { return std::fma(a, b, c); }
  static uint16_t f32_to_f16(float f) { return float_to_f16(f).bits; }
  static uint16_t f32_to_bf16(float f) { return float_to_bf16(f).bits; }
  static void store_f16(char* p, F x) { store_half(p, x, f32_to_f16); }
  static void store_bf16(char* p, F x) { store_half(p, x, f32_to_bf16); }
  static void store_half(char* p, F x, uint16_t (*enc)(float)) {
    const uint16_t h[W] = {enc(x.v[0]), enc(x.v[1]), enc(x.v[2]), enc(x.v[3])};
    std::memcpy(p, h, sizeof h);
  }
  static float f16_to_f32(uint16_t h) { return half_to_float(f16{h}); }
  static float bf16_to_f32(uint16_t h) { return half_to_float(bf16{h}); }
  static F load_f16(const char* p) { return load_half(p, f16_to_f32); }
  static F load_bf16(const char* p) { return load_half(p, bf16_to_f32); }
  static F load_half(const char* p, float (*dec)(uint16_t)) {
    uint16_t h[W];
    std::memcpy(h, p, sizeof h);
    return F{{dec(h[0]), dec(h[1]), dec(h[2]), dec(h[3])}};
  }
};

constexpr int MR = 4;

#include "gemm_simd.inc"

}  // namespace

const Kernels* kernels_scalar(Src) {
  static const Kernels k{MR, NR, MR * 32, 256, 1024, pack_a, pack_b, macro_f32, finish};
  return &k;
}

}  // namespace gemm
}  // namespace mt
