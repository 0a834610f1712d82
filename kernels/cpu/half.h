// Scalar IEEE half-precision conversions: the reference every SIMD path must match bit for bit.
//
// Every value of every Mantissa dtype is exactly representable in a double, so a cast S -> D is
// "decode S exactly to double, round once to D". That gives correct round-to-nearest-even for every
// pair (no double rounding through float32, e.g. int32 -> bfloat16 or float64 -> float16).
//
// NaN rule, shared by every conversion here and by every SIMD path (cast_avx2.cc, cast_avx512.cc):
// the sign is kept, the quiet bit is set, and the payload keeps its top bits: zero-extended when
// widening, truncated when narrowing (setting the quiet bit is also what keeps a truncated payload from
// reading as inf). It is what x86 does in hardware: F16C's vcvtph2ps/vcvtps2ph (checked on signalling
// NaNs: 0x7C01 -> 0x7FC02000, 0x7F800001 -> 0x7E00, 0xFF801FFF -> 0xFE00) and cvtss2sd/cvtsd2ss
// between float and double, so those SIMD paths agree with the scalar code bit for bit; bfloat16 uses
// the same rule in integer arithmetic. Other implementations differ only in payload: a GPU and torch's
// bfloat16 return one canonical NaN, numpy keeps a signalling one. A NaN becomes 0 in int32 and true
// in bool.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mt {

struct f16 {
  uint16_t bits;
};
struct bf16 {
  uint16_t bits;
};

inline uint64_t double_bits(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return b;
}
inline double bits_double(uint64_t b) {
  double x;
  std::memcpy(&x, &b, 8);
  return x;
}
inline uint32_t float_bits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}
inline float bits_float(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// A binary format with EBITS exponent bits and MBITS stored mantissa bits, 1 + EBITS + MBITS = 16.
template <int EBITS, int MBITS>
struct HalfFormat {
  static constexpr int bias = (1 << (EBITS - 1)) - 1;
  static constexpr int emin = 1 - bias;  // exponent of the smallest normal
  static constexpr int emax = bias;
  static constexpr uint16_t exp_mask = uint16_t(((1u << EBITS) - 1) << MBITS);
  static constexpr uint16_t man_mask = uint16_t((1u << MBITS) - 1);
  static constexpr uint16_t quiet_bit = uint16_t(1u << (MBITS - 1));

  static double decode(uint16_t h) {
    const bool neg = h >> 15;
    const int e = (h & exp_mask) >> MBITS;
    const uint32_t m = h & man_mask;
    if (e == (1 << EBITS) - 1) {
      if (m == 0) return neg ? -INFINITY : INFINITY;
      // NaN: keep sign and payload, set the quiet bit (the NaN rule above).
      uint64_t b = (uint64_t(neg) << 63) | (uint64_t(0x7FF) << 52) | (uint64_t(1) << 51) |
                   (uint64_t(m) << (52 - MBITS));
      return bits_double(b);
    }
    double mag = e == 0 ? std::ldexp(double(m), emin - MBITS) : std::ldexp(double(m | (1u << MBITS)), e - bias - MBITS);
    return neg ? -mag : mag;
  }

  // Round to nearest, ties to even; overflow to inf, underflow through subnormals to signed zero.
  static uint16_t encode(double x) {
    const uint64_t b = double_bits(x);
    const uint16_t sign = uint16_t((b >> 63) << 15);
    if (std::isnan(x)) {
      // The NaN rule above: sign, quiet bit, the top payload bits.
      return uint16_t(sign | exp_mask | quiet_bit | uint16_t((b >> (52 - MBITS)) & man_mask));
    }
    const double a = std::fabs(x);
    if (std::isinf(a)) return uint16_t(sign | exp_mask);
    if (a == 0) return sign;
    int e;
    std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1): the unbiased exponent is e - 1
    e -= 1;
    if (e < emin) {
      // Subnormal: count quanta of 2^(emin - MBITS). Scaling by a power of two is exact, and nearbyint
      // rounds ties to even in the default rounding mode. A result of 2^MBITS is the smallest normal,
      // which the same bit pattern encodes.
      const double q = std::nearbyint(std::ldexp(a, MBITS - emin));
      return uint16_t(sign | uint16_t(q));
    }
    double q = std::nearbyint(std::ldexp(a, MBITS - e));  // in [2^MBITS, 2^(MBITS+1)]
    if (q == double(1u << (MBITS + 1))) {
      q = double(1u << MBITS);
      e += 1;
    }
    if (e > emax) return uint16_t(sign | exp_mask);
    return uint16_t(sign | uint16_t((e + bias) << MBITS) | (uint16_t(q) & man_mask));
  }
};

using F16Format = HalfFormat<5, 10>;
using BF16Format = HalfFormat<8, 7>;

// Value conversions through double (exact decode, single rounding on encode).
template <class T>
inline double to_double(T x) {
  return double(x);
}
template <>
inline double to_double<f16>(f16 x) {
  return F16Format::decode(x.bits);
}
template <>
inline double to_double<bf16>(bf16 x) {
  return BF16Format::decode(x.bits);
}
template <>
inline double to_double<bool>(bool x) {
  return x ? 1.0 : 0.0;
}

template <class T>
inline T from_double(double x);
template <>
inline double from_double<double>(double x) {
  return x;
}
template <>
inline float from_double<float>(double x) {
  return float(x);  // hardware round-to-nearest-even, subnormals kept (no FTZ in Node)
}
template <>
inline f16 from_double<f16>(double x) {
  return f16{F16Format::encode(x)};
}
template <>
inline bf16 from_double<bf16>(double x) {
  return bf16{BF16Format::encode(x)};
}
template <>
inline bool from_double<bool>(double x) {
  return x != 0;  // NaN is true, as in PyTorch
}
template <>
inline int32_t from_double<int32_t>(double x) {
  // Truncate toward zero, saturate, NaN -> 0: what CUDA's float->int conversion does. (x86's cvtt
  // would give INT32_MIN, C++ calls it undefined.)
  if (std::isnan(x)) return 0;
  if (x >= 2147483647.0) return INT32_MAX;
  if (x <= -2147483648.0) return INT32_MIN;
  return int32_t(x);
}

// Fast scalar paths used by arithmetic kernels: half -> float is exact. Both follow the NaN rule (a
// signalling bfloat16 NaN comes out quiet, as from the cast kernel, rather than leaking a signalling
// float32 NaN out of pass-through ops such as maximum or where).
// float16 -> float32 with integer arithmetic (Maratyszcza's FP16): identical to F16Format::decode, NaN
// rule included (the scaling multiply quiets a signalling NaN and keeps its payload).
inline float half_to_float(f16 x) {
  const uint32_t w = uint32_t(x.bits) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t two_w = w + w;
  const float normalized = bits_float((two_w >> 4) + (0xE0u << 23)) * 0x1p-112f;
  const float subnormal = bits_float((two_w >> 17) | (126u << 23)) - 0.5f;
  return bits_float(sign | float_bits(two_w < (1u << 27) ? subnormal : normalized));
}
inline float half_to_float(bf16 x) {
  const uint32_t u = uint32_t(x.bits) << 16;
  return bits_float((u & 0x7FFFFFFFu) > 0x7F800000u ? u | 0x00400000u : u);
}

// float -> bfloat16 with integer arithmetic: identical results to BF16Format::encode.
inline bf16 float_to_bf16(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bf16{uint16_t((u >> 16) | 0x40u)};
  u += 0x7FFFu + ((u >> 16) & 1u);
  return bf16{uint16_t(u >> 16)};
}
// float -> float16 with integer arithmetic: identical results to F16Format::encode.
inline f16 float_to_f16(float f) {
  const uint32_t u = float_bits(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return f16{uint16_t(sign | 0x7E00u | ((a >> 13) & 0x3FFu))};
  if (a >= 0x477FF000u) return f16{uint16_t(sign | 0x7C00u)};  // rounds to >= 65520: inf
  if (a < 0x38800000u) {
    // Subnormal or zero in f16 (|f| < 2^-14): add 0.5 as a magic number so the FPU does RNE at 2^-24.
    const float r = bits_float(a) + 0.5f;
    return f16{uint16_t(sign | uint16_t(float_bits(r) - float_bits(0.5f)))};
  }
  const uint32_t mant_odd = (a >> 13) & 1u;
  uint32_t v = a + 0xC8000FFFu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  return f16{uint16_t(sign | uint16_t(v >> 13))};
}

}  // namespace mt
