// The device GEMM every CUDA kernel that multiplies matrices goes through (matmul, conv2d and its
// backwards). It picks cuBLASLt when the library could be loaded at run time (dlopen, cublaslt.cu) and
// the operands suit it, and otherwise our own kernels (gemm.cu): tensor cores (WMMA) for float16 and
// bfloat16, a tiled SIMT kernel for float32 and float64. Everything runs on the device's default stream.
//
// Numerics: float16/bfloat16 inputs accumulate in float32, float32 in float32 (never TF32: PyTorch's
// default for matmul), float64 in float64; alpha * acc + beta * c is rounded once to c's dtype.
#pragma once

#include "common.cuh"

namespace mt::cuda::gemm {

// A batch of strided matrices on the device, in elements: element (i, j) of batch entry b is at
// base + b * bs + i * rs + j * cs (of the operand's dtype).
struct Operand {
  const void* base;
  int64_t rs, cs, bs;
};
struct Output {
  void* base;
  int64_t rs, cs, bs;
};

// c[b] = alpha * a[b] x b[b] + beta * c[b] for b in [0, batch): a is m x k, b is k x n, c is m x n.
// dtype is that of a and b (float32, float16, bfloat16 or float64); c has that dtype, or float32 when
// c_f32 (a caller that adds more to the float32 partial before its one rounding). beta = 0: c is not
// read (NaN in c does not leak). c must not overlap a or b. `op` names the caller in errors.
mt_status product(const char* op, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Operand a,
                  Operand b, Output c, double alpha, double beta, int64_t batch, mt_error* err);

// Which implementation product() used last ("cublaslt" or "wmma"/"simt"), for tests and benchmarks.
const char* last_path();

}  // namespace mt::cuda::gemm
