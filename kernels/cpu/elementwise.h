// Shared pieces of the elementwise kernels (unary.cc, binary.cc, where.cc): argument checks, the
// op-math conversion of scalar attributes, and the scalar fallback loops.
//
// The fallback loops stage a block of each input into op-math values (float for the half types),
// compute on plain arrays, and round once on store. Staging a contiguous half row uses the SIMD
// conversions when the ISA has them; they are exact, so the result does not depend on the ISA.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "elementwise_simd.h"
#include "kernel.h"
#include "strided.h"

namespace mt {

template <class T>
using Math = typename OpMath<T>::type;

template <class T>
constexpr bool is_half_v = std::is_same_v<T, f16> || std::is_same_v<T, bf16>;
template <class T>
constexpr bool is_float_v = is_half_v<T> || std::is_floating_point_v<T>;

template <class T>
constexpr int32_t dtype_of() {
  if constexpr (std::is_same_v<T, float>) return MT_FLOAT32;
  if constexpr (std::is_same_v<T, f16>) return MT_FLOAT16;
  if constexpr (std::is_same_v<T, bf16>) return MT_BFLOAT16;
  if constexpr (std::is_same_v<T, double>) return MT_FLOAT64;
  if constexpr (std::is_same_v<T, int32_t>) return MT_INT32;
  return MT_BOOL;
}

template <class T>
inline T read_at(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <class T>
inline void write_at(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

inline bool is_dtype_float(int32_t dt) {
  return dt == MT_FLOAT32 || dt == MT_FLOAT16 || dt == MT_BFLOAT16 || dt == MT_FLOAT64;
}

// Every tensor is on the cpu, has storage, and has the shape of args[0].
inline mt_status check_elementwise(const char* op, const mt_tensor* args, int32_t nargs, mt_error* err) {
  for (int32_t i = 0; i < nargs; ++i) {
    if (args[i].layout.ndim < 0 || args[i].layout.ndim > MT_MAX_DIMS)
      return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: argument %d has %d dims (expected 0..%d)", op, i,
                  args[i].layout.ndim, MT_MAX_DIMS);
    if (!same_shape(args[i].layout, args[0].layout))
      return fail(err, MT_ERR_SHAPE, "%s: argument %d has a shape different from argument 0 (expected %d dims of the same sizes)",
                  op, i, args[0].layout.ndim);
    if (args[i].data == nullptr && numel(args[i].layout) > 0)
      return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: argument %d has no storage", op, i);
  }
  return MT_OK;
}

// A scalar attribute in op-math type: float for float32 and the half types (not rounded to half
// first, as a GPU does), double for float64. Integer and bool dtypes need an exactly representable value.
template <class T>
inline bool scalar_to_math(double v, Math<T>* out) {
  if constexpr (std::is_same_v<T, int32_t>) {
    if (!(v >= -2147483648.0 && v <= 2147483647.0 && v == std::floor(v))) return false;
    *out = int32_t(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v != 0 && v != 1) return false;
    *out = v != 0;
  } else {
    *out = Math<T>(v);
  }
  return true;
}

constexpr int64_t kBlock = 256;

// Loads k elements of dtype T (byte stride s) as op-math values.
template <class T>
inline void stage(const char* p, int64_t s, int64_t k, Math<T>* dst) {
  if constexpr (is_half_v<T>) {
    if (s == int64_t(sizeof(T))) {
      if (const simd::Table* t = simd::table()) {
        t->to_float[simd::kind_of(dtype_of<T>())](p, dst, k);
        return;
      }
    }
  }
  if (s == 0) {
    const Math<T> v = load(read_at<T>(p));
    for (int64_t j = 0; j < k; ++j) dst[j] = v;
    return;
  }
  for (int64_t j = 0; j < k; ++j) dst[j] = load(read_at<T>(p + j * s));
}

// Rounds k op-math values once into dtype T (byte stride s).
template <class T>
inline void unstage(const Math<T>* src, char* p, int64_t s, int64_t k) {
  if constexpr (is_half_v<T>) {
    if (s == int64_t(sizeof(T))) {
      if (const simd::Table* t = simd::table()) {
        t->from_float[simd::kind_of(dtype_of<T>())](src, p, k);
        return;
      }
    }
  }
  for (int64_t j = 0; j < k; ++j) write_at<T>(p + j * s, store<T>(src[j]));
}

// One row of out = f(x), x of dtype In, out of dtype Out (f takes and gives op-math values).
template <class In, class Out, class F>
inline void unary_row(char** p, const int64_t* s, int64_t n, const F& f) {
  Math<In> x[kBlock];
  Math<Out> y[kBlock];
  for (int64_t i = 0; i < n; i += kBlock) {
    const int64_t k = std::min(kBlock, n - i);
    stage<In>(p[0] + i * s[0], s[0], k, x);
    for (int64_t j = 0; j < k; ++j) y[j] = f(x[j]);
    unstage<Out>(y, p[1] + i * s[1], s[1], k);
  }
}

// One row of out = f(a, b).
template <class In, class Out, class F>
inline void binary_row(char** p, const int64_t* s, int64_t n, const F& f) {
  Math<In> a[kBlock], b[kBlock];
  Math<Out> y[kBlock];
  for (int64_t i = 0; i < n; i += kBlock) {
    const int64_t k = std::min(kBlock, n - i);
    stage<In>(p[0] + i * s[0], s[0], k, a);
    stage<In>(p[1] + i * s[1], s[1], k, b);
    for (int64_t j = 0; j < k; ++j) y[j] = f(a[j], b[j]);
    unstage<Out>(y, p[2] + i * s[2], s[2], k);
  }
}

// maximum, minimum and clamp: NaN propagates (as the sum a + b,
// the NaN the SIMD rows give too), and max(+0, -0) = +0, min(+0, -0) = -0.
template <class M>
inline M maximum_of(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (a != a || b != b) return a + b;
    if (a == b) {
      // Equal values differ at most in the sign of zero: +0 wins.
      return std::signbit(a) ? b : a;
    }
  }
  return a > b ? a : b;
}
template <class M>
inline M minimum_of(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (a != a || b != b) return a + b;
    if (a == b) return std::signbit(a) ? a : b;
  }
  return a < b ? a : b;
}

// exp in float, within 1 ulp everywhere (checked against double exp on all 2^32 inputs), and the
// very operations of the SIMD rows (elementwise_simd.inc), fma included, so both give the same bits:
// n = round(x / ln 2), r = x - n ln 2 in two fma steps, exp(r) by SLEEF's expf_u10 polynomial, then
// the scaling by 2^n done as two exact-or-rounding-once multiplications so subnormal results round once.
inline float pow2_f32(int32_t k) { return bits_float(uint32_t(k + 127) << 23); }  // k in [-126, 127]

inline float exp_f32(float x) {
  using namespace simd::expf_constants;
  if (x != x) return x + x;
  const float xc = std::fmin(std::fmax(x, kMin), kMax);
  const float n = std::nearbyint(xc * kLog2e);
  float r = std::fma(n, -kLn2Hi, xc);
  r = std::fma(n, -kLn2Lo, r);
  float u = kC[0];
  for (int i = 1; i < 6; ++i) u = std::fma(u, r, kC[i]);
  const float y = 1.0f + std::fma(r * r, u, r);
  const int32_t k = int32_t(n);
  const int32_t k1 = k >> 1;
  return y * pow2_f32(k1) * pow2_f32(k - k1);
}

// 1 / (1 + exp(-x)), the formula of PyTorch's kernels, with exp_f32.
inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

}  // namespace mt
