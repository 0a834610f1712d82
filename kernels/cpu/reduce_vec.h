// The contiguous inner loops of the reductions, one table per instruction set (reduce_vec.cc holds the
// scalar table and picks one by mt::isa(); reduce_vec.inc the SIMD ones, built by reduce_vec_avx2.cc
// and reduce_vec_avx512.cc).
//
// Sums follow one canonical order so that every table gives bit-identical results (the tests hold
// them to it), which makes a result independent of the machine as well as of the thread count:
//   n < L:  x0 + x1 + ... left to right;
//   n >= L: L lanes, lane j accumulating x[j], x[j+L], ... over the first n - n%L elements, then the
//           lanes folded pairwise (lane j += lane j+w for w = L/2, L/4, ..., 1), then the n%L tail
//           (summed left to right) added last.
// L is 64 for float accumulators, 32 for double ones. Half inputs are widened exactly to float. var's
// squared deviations are terms like any other: d = x - mean, then d * d, each rounded (never fused
// into an FMA, which would round once and differ from the scalar table).
#pragma once

#include <cstdint>
#include <type_traits>

#include "half.h"

namespace mt {

constexpr int kLanesF32 = 64;
constexpr int kLanesF64 = 32;

// The row functions of one floating dtype, stored as T (uint16_t for the half types) and computed in
// V. A is var's accumulator: double for float32 (as PyTorch's CPU kernel), V otherwise.
template <class T, class V, class A>
struct RowFns {
  // The canonical sum (n >= 1).
  V (*sum)(const T* x, int64_t n);
  // Column accumulation for outer reductions: acc[c] = x[c] when init (so also the exact widening of
  // a row to V), else acc[c] += x[c].
  void (*cols)(V* acc, const T* x, int64_t n, bool init);
  // var: the canonical sum in A, and the canonical sum of the squared deviations from `mean`.
  A (*sum_var)(const T* x, int64_t n);
  A (*sumsq)(const T* x, int64_t n, A mean);
  // NaN-propagating max / min (n >= 1); a NaN anywhere gives a NaN.
  V (*max)(const T* x, int64_t n);
  V (*min)(const T* x, int64_t n);
  // True when no element is inf or NaN. One branch-free pass: no early exit, so the time does not
  // depend on the data.
  bool (*finite)(const T* x, int64_t n);
};

struct ReduceVec {
  RowFns<float, float, double> f32;
  RowFns<uint16_t, float, float> f16;
  RowFns<uint16_t, float, float> bf16;
  RowFns<double, double, double> f64;
};

// The row functions of dtype T (float, f16, bf16 or double), and a row of it as their element type.
template <class T>
const auto& row_fns(const ReduceVec& v) {
  if constexpr (std::is_same_v<T, float>) return v.f32;
  if constexpr (std::is_same_v<T, f16>) return v.f16;
  if constexpr (std::is_same_v<T, bf16>) return v.bf16;
  if constexpr (std::is_same_v<T, double>) return v.f64;
}
template <class T>
using Stored = std::conditional_t<std::is_same_v<T, f16> || std::is_same_v<T, bf16>, uint16_t, T>;
template <class T>
const Stored<T>* row_ptr(const char* p) {
  return reinterpret_cast<const Stored<T>*>(p);
}

// The table for the ISA in use.
const ReduceVec& reduce_vec();

// Entry points of the SIMD files; call only when mt::isa() allows.
ReduceVec reduce_vec_avx2();
ReduceVec reduce_vec_avx512();

}  // namespace mt
