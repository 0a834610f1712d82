// The device GEMM (gemm.cuh). This first version is the plain reference: one thread per output element,
// a fused multiply-add chain over k in the accumulator type. The tensor-core and cuBLASLt paths replace
// it for speed; its numerics (accumulate, then alpha * acc + beta * c rounded once) stay the same.
#include "gemm.cuh"

namespace mt::cuda::gemm {
namespace {

const char* g_last_path = "none";

template <class T, class C, class Acc>
__global__ void reference_kernel(int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, Acc alpha,
                                 Acc beta, int64_t batch) {
  const int64_t total = m * n * batch;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = t % n;
    const int64_t i = (t / n) % m;
    const int64_t e = t / (m * n);
    const T* pa = static_cast<const T*>(a.base) + e * a.bs + i * a.rs;
    const T* pb = static_cast<const T*>(b.base) + e * b.bs + j * b.cs;
    Acc acc = 0;
    for (int64_t p = 0; p < k; ++p) {
      if constexpr (std::is_same_v<Acc, double>) acc = __fma_rn(double(pa[p * a.cs]), double(pb[p * b.rs]), acc);
      else acc = __fmaf_rn(dload(pa[p * a.cs]), dload(pb[p * b.rs]), acc);
    }
    C* pc = static_cast<C*>(c.base) + e * c.bs + i * c.rs + j * c.cs;
    Acc v = alpha * acc;
    if (beta != Acc(0)) v = v + beta * Acc(dload(*pc));
    *pc = dstore<C>(v);
  }
}

template <class T, class C>
void launch(int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, double alpha, double beta,
            int64_t batch) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  reference_kernel<T, C, Acc><<<blocks_for(m * n * batch), kThreads>>>(m, n, k, a, b, c, Acc(alpha), Acc(beta), batch);
}

}  // namespace

const char* last_path() { return g_last_path; }

mt_status product(const char* op, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Operand a,
                  Operand b, Output c, double alpha, double beta, int64_t batch, mt_error* err) {
  if (m == 0 || n == 0 || batch == 0) return MT_OK;
  g_last_path = "simt";
  switch (dtype) {
    case MT_FLOAT32:
      launch<float, float>(m, n, k, a, b, c, alpha, beta, batch);
      break;
    case MT_FLOAT64:
      launch<double, double>(m, n, k, a, b, c, alpha, beta, batch);
      break;
    case MT_FLOAT16:
      if (c_f32) launch<f16, float>(m, n, k, a, b, c, alpha, beta, batch);
      else launch<f16, f16>(m, n, k, a, b, c, alpha, beta, batch);
      break;
    case MT_BFLOAT16:
      if (c_f32) launch<bf16, float>(m, n, k, a, b, c, alpha, beta, batch);
      else launch<bf16, bf16>(m, n, k, a, b, c, alpha, beta, batch);
      break;
    default:
      return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: expected float32, float16, bfloat16 or float64, got %s", op,
                  dtype_name(dtype));
  }
  return launched(op, err);
}

}  // namespace mt::cuda::gemm
