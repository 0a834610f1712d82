// SIMD row functions for the elementwise kernels, chosen once by the ISA in use (mt::isa()).
//
// They work on contiguous rows of float32, float16 or bfloat16, compute in float32 and round once on
// store, exactly like the scalar loops in unary.cc / binary.cc: add, sub, mul, div and sqrt are
// correctly rounded, the half conversions are exact, and exp/sigmoid repeat exp_f32 (elementwise.h)
// operation for operation, so every path gives the same bits (checked on all 2^32 floats for exp and
// sigmoid). A null function means "no SIMD path here": the caller falls back to its scalar loop.
#pragma once

#include <cstdint>

namespace mt {
namespace simd {

enum class BinOp { Add, Sub, Mul, Div, Maximum, Minimum, Count };
enum class UnOp { Neg, Abs, Relu, Sqrt, Rsqrt, Clamp, Exp, Sigmoid, Count };

// out[i] = a[i] op b[i]
using BinVV = void (*)(const void* a, const void* b, void* out, int64_t n);
// out[i] = a[i] op s
using BinVS = void (*)(const void* a, float s, void* out, int64_t n);
// out[i] = s op b[i]
using BinSV = void (*)(float s, const void* b, void* out, int64_t n);
// out[i] = op(x[i]); params: clamp's [lo, hi] (-inf / +inf when a bound is absent)
using UnFn = void (*)(const void* x, void* out, int64_t n, const float* params);
// Exact widening of n elements to float, and rounding (to nearest even) of floats into the dtype.
using ToFloat = void (*)(const void* src, float* dst, int64_t n);
using FromFloat = void (*)(const float* src, void* dst, int64_t n);

// The three dtypes with SIMD rows, by index.
enum Kind { kF32 = 0, kF16 = 1, kBF16 = 2, kKinds = 3 };

struct Table {
  BinVV vv[int(BinOp::Count)][kKinds];
  BinVS vs[int(BinOp::Count)][kKinds];
  BinSV sv[int(BinOp::Count)][kKinds];
  UnFn un[int(UnOp::Count)][kKinds];
  ToFloat to_float[kKinds];
  FromFloat from_float[kKinds];
};

// The constants of exp_f32 (elementwise.h), shared with the SIMD rows.
namespace expf_constants {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.428606765330187045e-06f;
constexpr float kMin = -104.0f;  // exp(-104) < 2^-150: rounds to 0
constexpr float kMax = 89.0f;    // exp(89) > FLT_MAX: overflows to inf
constexpr float kC[6] = {0.000198527617612853646278381f, 0.00139304355252534151077271f,
                         0.00833336077630519866943359f,  0.0416664853692054748535156f,
                         0.166666671633720397949219f,    0.5f};
}  // namespace expf_constants

// The table for the ISA in use, or nullptr on the scalar level.
const Table* table();

// Index of an mt_dtype in the table, -1 when it has no SIMD rows.
int kind_of(int32_t dtype);

// Per-ISA tables (elementwise_simd_avx2.cc, elementwise_simd_avx512.cc); call only when the CPU has the ISA.
const Table* table_avx2();
const Table* table_avx512();

}  // namespace simd
}  // namespace mt
