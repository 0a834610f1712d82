// dropout / dropout_backward on the device with the CPU's mask (kernels/cpu/dropout.cc): element i (the
// row-major index) is kept when the 24-bit uniform from word i % 4 of Philox block offset + i / 4 is
// >= p; out = x * (kept ? 1 / (1 - p) : 0) in the compute type, rounded once.
#include <cmath>

#include "../cpu/nn.h"
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
  const char* op = "dropout";
  MT_TRY(check_attrs(err, op, nattrs, 3));
  const double p = attrs[0];
  if (!(p >= 0 && p < 1)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: p must be in [0, 1), got %g", op, p);
  MT_TRY(check_int_attr(err, op, "seed", attrs[1], 0, 0x1p53));
  MT_TRY(check_int_attr(err, op, "offset", attrs[2], 0, 0x1p53));
  const mt_tensor &x = args[0], &out = args[1], &mask = args[2];
  MT_TRY(check_float(err, op, "input", x));
  MT_TRY(check_dtype(err, op, "output", out, x.dtype));
  MT_TRY(check_dtype(err, op, "mask", mask, MT_BOOL));
  MT_TRY(check_shape(err, op, "output", out, x.layout.shape, x.layout.ndim));
  MT_TRY(check_shape(err, op, "mask", mask, x.layout.shape, x.layout.ndim));
  if (!is_contiguous(out.layout) || !is_contiguous(mask.layout))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: output and mask must be contiguous", op);
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
  const char* op = "dropout_backward";
  MT_TRY(check_attrs(err, op, nattrs, 1));
  if (!(attrs[0] >= 1) || !std::isfinite(attrs[0]))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: scale must be finite and >= 1, got %g", op, attrs[0]);
  const mt_tensor &g = args[0], &mask = args[1], &gi = args[2];
  MT_TRY(check_float(err, op, "grad_output", g));
  MT_TRY(check_dtype(err, op, "mask", mask, MT_BOOL));
  MT_TRY(check_dtype(err, op, "grad_input", gi, g.dtype));
  MT_TRY(check_shape(err, op, "mask", mask, g.layout.shape, g.layout.ndim));
  MT_TRY(check_shape(err, op, "grad_input", gi, g.layout.shape, g.layout.ndim));
  dispatch_float(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<3>(args, DropoutBackward<T>{cuda::Math<T>(attrs[0])});
  });
  return MT_OK;
}
