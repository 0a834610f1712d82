// The contiguous inner loops of the reductions, one table per instruction set (reduce_vec.cc holds the
// scalar table and picks one by mt::isa(); reduce_vec_avx2.cc and reduce_vec_avx512.cc the others).
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

namespace mt {

constexpr int kLanesF32 = 64;
constexpr int kLanesF64 = 32;

struct ReduceVec {
  // Canonical sums (n >= 1).
  float (*sum_f32)(const float* x, int64_t n);
  float (*sum_f16)(const uint16_t* x, int64_t n);
  float (*sum_bf16)(const uint16_t* x, int64_t n);
  double (*sum_f64)(const double* x, int64_t n);
  // Column accumulation for outer reductions: acc[c] = x[c] when init, else acc[c] += x[c].
  void (*cols_f32)(float* acc, const float* x, int64_t n, bool init);
  void (*cols_f16)(float* acc, const uint16_t* x, int64_t n, bool init);
  void (*cols_bf16)(float* acc, const uint16_t* x, int64_t n, bool init);
  void (*cols_f64)(double* acc, const double* x, int64_t n, bool init);
  // var: float32 values summed in double, and squared deviations from `mean` (double accumulators
  // for float32/float64, float for half types).
  double (*sum_f32_f64)(const float* x, int64_t n);
  double (*sumsq_f32)(const float* x, int64_t n, double mean);
  double (*sumsq_f64)(const double* x, int64_t n, double mean);
  float (*sumsq_f16)(const uint16_t* x, int64_t n, float mean);
  float (*sumsq_bf16)(const uint16_t* x, int64_t n, float mean);
  // Exact widening of half rows to float (for the column loops that have no SIMD form of their own).
  void (*widen_f16)(float* dst, const uint16_t* x, int64_t n);
  void (*widen_bf16)(float* dst, const uint16_t* x, int64_t n);
  // NaN-propagating max / min (n >= 1); a NaN anywhere gives a NaN.
  float (*max_f32)(const float* x, int64_t n);
  float (*min_f32)(const float* x, int64_t n);
  float (*max_f16)(const uint16_t* x, int64_t n);
  float (*min_f16)(const uint16_t* x, int64_t n);
  float (*max_bf16)(const uint16_t* x, int64_t n);
  float (*min_bf16)(const uint16_t* x, int64_t n);
  double (*max_f64)(const double* x, int64_t n);
  double (*min_f64)(const double* x, int64_t n);
  // True when no element is inf or NaN. One branch-free pass: no early exit, so the time does not
  // depend on the data.
  bool (*finite_f32)(const float* x, int64_t n);
  bool (*finite_f16)(const uint16_t* x, int64_t n);
  bool (*finite_bf16)(const uint16_t* x, int64_t n);
  bool (*finite_f64)(const double* x, int64_t n);
};

// The table for the ISA in use.
const ReduceVec& reduce_vec();

// Entry points of the SIMD files; call only when mt::isa() allows.
ReduceVec reduce_vec_avx2();
ReduceVec reduce_vec_avx512();

}  // namespace mt
