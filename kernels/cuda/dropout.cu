// dropout / dropout_backward on the device with the CPU's mask (kernels/cpu/dropout.cc): element i (the
// row-major index) is kept when the 24-bit uniform from word i % 4 of Philox block offset + i / 4 is
// >= p; out = x * (kept ? 1 / (1 - p) : 0) in the compute type, rounded once.
#include <cmath>

#include "../cpu/dropout.h"
#include "elementwise.cuh"
#include "philox.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

template <class T>
__global__ void dropout_kernel(Views<3> v, int64_t n, unsigned long long seed, unsigned long long offset, double p,
                               cuda::Math<T> keep_scale) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    offsets_of(v, i, off);
    const Words blk = philox(seed, offset + static_cast<unsigned long long>(i / 4));
    const bool keep = double(blk.w[i % 4] >> 8) * 0x1p-24 >= p;
    const T x = ld<T>(v.base[0] + off[0]);
    st<T>(v.base[1] + off[1], dstore<T>(dload<T>(x) * (keep ? keep_scale : cuda::Math<T>(0))));
    st<bool>(v.base[2] + off[2], keep);
  }
}

template <class T>
struct DropoutBackward {
  cuda::Math<T> scale;
  __device__ void operator()(char** p) const {
    const bool keep = ld<bool>(p[1]);
    st<T>(p[2], dstore<T>(dload<T>(ld<T>(p[0])) * (keep ? scale : cuda::Math<T>(0))));
  }
};

}  // namespace

extern "C" mt_status mt_cuda_k_dropout(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  MT_TRY(check_dropout(args, attrs, nattrs, err));
  const double p = attrs[0];
  const mt_tensor& x = args[0];
  const int64_t n = numel(x.layout);
  if (n == 0) return MT_OK;
  const unsigned long long seed = static_cast<unsigned long long>(attrs[1]), offset = static_cast<unsigned long long>(attrs[2]);
  const double scale = 1.0 / (1.0 - p);
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    dropout_kernel<T><<<blocks_for(n), kThreads>>>(views_of<3>(args), n, seed, offset, p, cuda::Math<T>(scale));
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_dropout_backward(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                                mt_error* err) {
  MT_TRY(check_dropout_backward(args, attrs, nattrs, err));
  const mt_tensor& g = args[0];
  dispatch_float(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<3>(args, DropoutBackward<T>{cuda::Math<T>(attrs[0])});
  });
  return MT_OK;
}
