// How matmul hands its batch dims to the device GEMM (matmul.cu): the innermost run of batch dims that
// one stride per tensor covers becomes one strided batch (contiguous batches, broadcast operands with
// stride 0); the dims outside it are looped over, one product call each. Host code, checked by
// test/cuda/gemm-host.cu against a plain enumeration of the batch indices.
#pragma once

#include <cstdint>
#include <vector>

#include "mantissa/abi.h"

namespace mt::cuda {

struct BatchPlan {
  bool empty = false;     // a batch dim of size 0: nothing to compute
  std::vector<int> outer;  // dims looped over, outermost first
  int64_t count = 1;       // entries of the strided batch
  int64_t bs[3] = {0, 0, 0};  // its stride in a, b, out
};

// l: the layouts of a, b, out, all of rank nd with equal batch dims (dims 0 .. nd - 3).
inline BatchPlan batch_plan(const mt_layout* const l[3], int nd) {
  BatchPlan p;
  std::vector<int> dims;  // the batch dims that matter: a size-1 dim has no stride to honour
  for (int d = 0; d < nd - 2; ++d) {
    if (l[2]->shape[d] == 0) {
      p.empty = true;
      return p;
    }
    if (l[2]->shape[d] != 1) dims.push_back(d);
  }
  if (dims.empty()) return p;
  size_t first = dims.size() - 1;  // the run is dims[first ..]
  const int inner = dims.back();
  p.count = l[2]->shape[inner];
  for (int t = 0; t < 3; ++t) p.bs[t] = l[t]->strides[inner];
  // dims[first - 1] joins when stride[d] == stride[next] * shape[next] in every tensor.
  while (first > 0) {
    const int d = dims[first - 1], next = dims[first];
    bool uniform = true;
    for (int t = 0; t < 3; ++t) uniform = uniform && l[t]->strides[d] == l[t]->strides[next] * l[t]->shape[next];
    if (!uniform) break;
    p.count *= l[2]->shape[d];
    --first;
  }
  p.outer.assign(dims.begin(), dims.begin() + std::ptrdiff_t(first));
  return p;
}

}  // namespace mt::cuda
