// fill and arange on the device: the value is encoded on the host by the CPU reference (from_double),
// arange rounds start + i * step once on the device with the same algorithm.
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

template <class T>
struct FillOp {
  T value;
  __device__ void operator()(char** p) const { st<T>(p[0], value); }
};

template <class T>
__global__ void arange_kernel(char* base, int64_t stride, int64_t n, double start, double step) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    st<T>(base + i * stride, cuda::from_double<T>(__dadd_rn(start, __dmul_rn(double(i), step))));
}

}  // namespace

extern "C" mt_status mt_cuda_k_fill(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  if (nattrs != 1) return fail(err, MT_ERR_INVALID_ARGUMENT, "fill: expected 1 attribute (value), got %d", nattrs);
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<1>(args, FillOp<T>{mt::from_double<T>(attrs[0])});
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_arange(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  if (nattrs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "arange: expected 2 attributes (start, step), got %d", nattrs);
  const mt_layout& l = args[0].layout;
  if (l.ndim != 1) return fail(err, MT_ERR_SHAPE, "arange: output must be 1-D, got %d dims", l.ndim);
  const int64_t n = l.shape[0];
  if (n == 0) return MT_OK;
  const int64_t size = itemsize(args[0].dtype);
  char* base = static_cast<char*>(args[0].data) + l.offset * size;
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    arange_kernel<T><<<blocks_for(n), kThreads>>>(base, l.strides[0] * size, n, attrs[0], attrs[1]);
  });
  return MT_OK;
}
