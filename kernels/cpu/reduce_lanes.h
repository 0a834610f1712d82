// Scalar building blocks of the reductions: element reads in the compute type and the canonical lane
// sum of reduce_vec.h, written once over an accessor so that strided, contiguous and derived terms
// (var's squared deviations) all follow the same order.
#pragma once

#include <cstdint>
#include <cstring>

#include "half.h"
#include "reduce_vec.h"

namespace mt {

// Exact half -> float widening with integer arithmetic (half_to_float(f16) goes through double, which
// is too slow for an inner loop). NaNs come out quiet, as F16C does.
inline float f16_bits_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0x1F) return bits_float(sign | 0x7F800000u | (m << 13) | (m != 0 ? 0x400000u : 0u));
  if (e == 0) {
    const float v = float(m) * 0x1p-24f;  // subnormal: m * 2^-24, exact in float
    return sign != 0 ? -v : v;
  }
  return bits_float(sign | ((e + 112u) << 23) | (m << 13));
}
inline float bf16_bits_to_float(uint16_t h) { return bits_float(uint32_t(h) << 16); }

// One element of storage type T read as its compute type V (half types widen to float).
template <class T>
struct Elem {
  using V = T;
  static V get(const char* p) {
    T x;
    std::memcpy(&x, p, sizeof(T));
    return x;
  }
};
template <float (*Widen)(uint16_t)>
struct HalfElem {
  using V = float;
  static float get(const char* p) { return Widen(Elem<uint16_t>::get(p)); }
};
template <>
struct Elem<f16> : HalfElem<f16_bits_to_float> {};
template <>
struct Elem<bf16> : HalfElem<bf16_bits_to_float> {};
// bool computes as a byte (0 or 1) so that accumulator vectors are never std::vector<bool>.
template <>
struct Elem<bool> {
  using V = uint8_t;
  static uint8_t get(const char* p) { return *p != 0 ? 1 : 0; }
};

template <class V>
inline bool is_nan(V v) {
  return v != v;  // false for every integer type
}

// The canonical sum of reduce_vec.h over get(0) .. get(n-1), n >= 1, accumulated in A.
template <class A, class Get>
A lanes_sum(int64_t n, const Get& get) {
  constexpr int L = sizeof(A) == 8 ? kLanesF64 : kLanesF32;
  auto serial = [&](int64_t begin, int64_t end) {
    A s = get(begin);
    for (int64_t i = begin + 1; i < end; ++i) s += get(i);
    return s;
  };
  if (n < L) return serial(0, n);
  A lane[L];
  for (int j = 0; j < L; ++j) lane[j] = get(j);
  const int64_t m = n - n % L;
  for (int64_t i = L; i < m; i += L)
    for (int j = 0; j < L; ++j) lane[j] += get(i + j);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) lane[j] += lane[j + w];
  A r = lane[0];
  if (m < n) r += serial(m, n);
  return r;
}

}  // namespace mt
