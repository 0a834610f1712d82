// A block-wide reduction through shared memory: every thread of a kThreads block passes its partial,
// every thread gets the combined value. The tree pairs partials out of element order, so op.combine
// must be associative and commutative (argmax's compares the indices it carries).
#pragma once

#include "common.cuh"

namespace mt::cuda {

template <class Acc, class Op>
__device__ Acc block_reduce(Acc v, const Op& op) {
  __shared__ __align__(16) unsigned char raw[kThreads * sizeof(Acc)];
  Acc* s = reinterpret_cast<Acc*>(raw);
  s[threadIdx.x] = v;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (int(threadIdx.x) < w) s[threadIdx.x] = op.combine(s[threadIdx.x], s[threadIdx.x + w]);
    __syncthreads();
  }
  const Acc r = s[0];
  __syncthreads();
  return r;
}

}  // namespace mt::cuda
