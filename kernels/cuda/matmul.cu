// matmul on CUDA: the CPU kernel's checks (cpu/matmul_args.h), then the device GEMM (gemm.cuh). The
// batch dims are handed over as one strided batch where they are uniformly strided in all three tensors
// (contiguous batches, broadcast operands with stride 0); any outer dims that are not are looped over,
// one product call each.
#include <vector>

#include "../cpu/matmul_args.h"
#include "gemm.cuh"

namespace {

using mt::cuda::gemm::Operand;
using mt::cuda::gemm::Output;

}  // namespace

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
  const mt_layout* l[3] = {&args[0].layout, &args[1].layout, &args[2].layout};
  // The batch dims that matter (size 1 has no stride to honour); a size 0 means nothing to compute.
  std::vector<int> dims;
  for (int d = 0; d < nd - 2; ++d) {
    if (l[2]->shape[d] == 0) return MT_OK;
    if (l[2]->shape[d] != 1) dims.push_back(d);
  }
  // The innermost run of dims that one stride per tensor covers: dim d joins the run starting at d' when
  // stride[d] == stride[d'] * shape[d'] in every tensor.
  int64_t count = 1, bs[3] = {0, 0, 0};
  size_t outer = dims.size();
  if (!dims.empty()) {
    outer = dims.size() - 1;
    const int inner = dims.back();
    count = l[2]->shape[inner];
    for (int t = 0; t < 3; ++t) bs[t] = l[t]->strides[inner];
    while (outer > 0) {
      const int d = dims[outer - 1], next = dims[outer];
      bool uniform = true;
      for (int t = 0; t < 3; ++t) uniform = uniform && l[t]->strides[d] == l[t]->strides[next] * l[t]->shape[next];
      if (!uniform) break;
      count *= l[2]->shape[d];
      --outer;
    }
  }
  std::vector<int64_t> idx(outer, 0);
  int64_t outer_total = 1;
  for (size_t i = 0; i < outer; ++i) outer_total *= l[2]->shape[dims[i]];
  for (int64_t entry = 0; entry < outer_total; ++entry) {
    int64_t off[3];
    for (int t = 0; t < 3; ++t) {
      off[t] = l[t]->offset;
      for (size_t i = 0; i < outer; ++i) off[t] += idx[i] * l[t]->strides[dims[i]];
    }
    const Operand a{static_cast<const char*>(args[0].data) + off[0] * size, l[0]->strides[nd - 2],
                    l[0]->strides[nd - 1], bs[0]};
    const Operand b{static_cast<const char*>(args[1].data) + off[1] * size, l[1]->strides[nd - 2],
                    l[1]->strides[nd - 1], bs[1]};
    const Output c{static_cast<char*>(args[2].data) + off[2] * size, l[2]->strides[nd - 2], l[2]->strides[nd - 1],
                   bs[2]};
    if (mt_status s = cuda::gemm::product("matmul", dtype, false, shape.m, shape.n, shape.k, a, b, c, alpha, beta,
                                          count, err))
      return s;
    for (size_t i = outer; i-- > 0;) {
      if (++idx[i] < l[2]->shape[dims[i]]) break;
      idx[i] = 0;
    }
  }
  return MT_OK;
}
