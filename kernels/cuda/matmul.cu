// matmul on CUDA: the CPU kernel's checks (cpu/matmul_args.h), then the device GEMM (gemm.cuh), one
// call per entry of the batch dims that do not collapse into one strided batch (matmul_batch.cuh).
#include <vector>

#include "../cpu/matmul_args.h"
#include "gemm.cuh"
#include "matmul_batch.cuh"

extern "C" mt_status mt_cuda_k_matmul(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                      mt_error* err) {
  using namespace mt;
  MatmulShape shape{};
  if (mt_status s = check_matmul(args, nargs, &shape, err)) return s;
  if (shape.m == 0 || shape.n == 0) return MT_OK;
  const int nd = shape.nd;
  const int32_t dtype = args[2].dtype;
  const int64_t size = itemsize(dtype);
  const double alpha = nattrs > 0 ? attrs[0] : 1.0;
  const double beta = nattrs > 1 ? attrs[1] : 0.0;
  const mt_layout* const l[3] = {&args[0].layout, &args[1].layout, &args[2].layout};
  const cuda::BatchPlan plan = cuda::batch_plan(l, nd);
  if (plan.empty) return MT_OK;
  const size_t outer = plan.outer.size();
  std::vector<int64_t> idx(outer, 0);
  int64_t entries = 1;
  for (int d : plan.outer) entries *= l[2]->shape[d];
  // An empty a or b (k = 0) may have no storage: no address is formed from a null base.
  auto at = [&](int t, int64_t off) -> char* {
    return args[t].data == nullptr ? nullptr : static_cast<char*>(args[t].data) + off * size;
  };
  for (int64_t entry = 0; entry < entries; ++entry) {
    int64_t off[3];
    for (int t = 0; t < 3; ++t) {
      off[t] = l[t]->offset;
      for (size_t i = 0; i < outer; ++i) off[t] += idx[i] * l[t]->strides[plan.outer[i]];
    }
    const cuda::gemm::Operand a{at(0, off[0]), l[0]->strides[nd - 2], l[0]->strides[nd - 1], plan.bs[0]};
    const cuda::gemm::Operand b{at(1, off[1]), l[1]->strides[nd - 2], l[1]->strides[nd - 1], plan.bs[1]};
    const cuda::gemm::Output c{at(2, off[2]), l[2]->strides[nd - 2], l[2]->strides[nd - 1], plan.bs[2]};
    if (mt_status s = cuda::gemm::product("matmul", dtype, false, shape.m, shape.n, shape.k, a, b, c, alpha, beta,
                                          plan.count, err))
      return s;
    for (size_t i = outer; i-- > 0;) {
      if (++idx[i] < l[2]->shape[plan.outer[i]]) break;
      idx[i] = 0;
    }
  }
  return MT_OK;
}
