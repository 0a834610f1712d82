// conv2d, conv2d_backward_input and conv2d_backward_weight on the device: the drivers of
// conv2d_im2col.cuh run with one grid-stride launch per element functor and gemm::product for the
// matrix products, on the default stream; the argument checks are the CPU kernels' (conv2d_args.h).
//
// args: conv2d (x, w, [bias], out), conv2d_backward_input (gy, w, dx), conv2d_backward_weight
// (gy, x, dw); attrs [stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups]; inputs with
// any strides, outputs contiguous.
#include "conv2d_im2col.cuh"

using namespace mt;
using namespace mt::cuda;
using namespace mt::cuda::conv2d;

namespace {

template <class F>
__global__ void each_kernel(F f, int64_t total) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x)
    f(t);
}

struct DeviceExec {
  int32_t device;
  const char* op;
  bool wide = false;
  // The allocator's message (out of memory, with the sizes) prefixed with the op.
  mt_status alloc(size_t bytes, void** p, mt_error* err) {
    const mt_status st = mt_cuda_alloc(device, bytes, p, err);
    if (st == MT_OK) return st;
    char why[sizeof(err->message)];
    std::memcpy(why, err->message, sizeof why);
    why[sizeof why - 1] = '\0';
    return fail(err, st, "%s: workspace of %zu bytes: %s", op, bytes, why);
  }
  void release(void* p, size_t bytes) { mt_cuda_free(device, p, bytes); }
  template <class F>
  mt_status each(const char* op, int64_t total, const F& f, mt_error* err) {
    if (total <= 0) return MT_OK;
    each_kernel<F><<<blocks_for(total), kThreads>>>(f, total);
    return launched(op, err);
  }
  mt_status product(const char* op, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, gemm::Operand a,
                    gemm::Operand b, gemm::Output c, double alpha, double beta, int64_t batch, mt_error* err) {
    return gemm::product(op, dtype, c_f32, m, n, k, a, b, c, alpha, beta, batch, err);
  }
};

template <class T>
View4<T> view_of(const mt_tensor& t) {
  const mt_layout& l = t.layout;
  return View4<T>{static_cast<const T*>(t.data) + l.offset, {l.strides[0], l.strides[1], l.strides[2], l.strides[3]}};
}

template <class T>
T* out_of(const mt_tensor& t) {
  return static_cast<T*>(t.data) + t.layout.offset;
}

}  // namespace

extern "C" mt_status mt_cuda_k_conv2d(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                      mt_error* err) {
  const char* op = "conv2d";
  conv::Geometry g;
  const mt_tensor* bias = nullptr;
  if (mt_status st = conv::check_forward(op, args, nargs, attrs, nattrs, &g, &bias, err)) return st;
  const mt_tensor &x = args[0], &w = args[1], &y = args[nargs - 1];
  DeviceExec ex{y.device - MT_DEVICE_CUDA, op};
  mt_status st = MT_OK;
  mt::dispatch_float(y.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* b = bias ? static_cast<const T*>(bias->data) + bias->layout.offset : nullptr;
    st = forward<T>(ex, op, g, view_of<T>(x), view_of<T>(w), b, bias ? bias->layout.strides[0] : 0, out_of<T>(y),
                    kWorkspaceBytes, err);
  });
  return st;
}

extern "C" mt_status mt_cuda_k_conv2d_backward_input(mt_tensor* args, int32_t nargs, const double* attrs,
                                                     int32_t nattrs, mt_error* err) {
  const char* op = "conv2d_backward_input";
  conv::Geometry g;
  if (mt_status st = conv::check_backward_input(op, args, nargs, attrs, nattrs, &g, err)) return st;
  const mt_tensor &gy = args[0], &w = args[1], &dx = args[2];
  DeviceExec ex{dx.device - MT_DEVICE_CUDA, op};
  mt_status st = MT_OK;
  mt::dispatch_float(dx.dtype, [&](auto tag) {
    using T = decltype(tag);
    st = backward_input<T>(ex, op, g, view_of<T>(gy), view_of<T>(w), out_of<T>(dx), kWorkspaceBytes, err);
  });
  return st;
}

extern "C" mt_status mt_cuda_k_conv2d_backward_weight(mt_tensor* args, int32_t nargs, const double* attrs,
                                                      int32_t nattrs, mt_error* err) {
  const char* op = "conv2d_backward_weight";
  conv::Geometry g;
  if (mt_status st = conv::check_backward_weight(op, args, nargs, attrs, nattrs, &g, err)) return st;
  const mt_tensor &gy = args[0], &x = args[1], &dw = args[2];
  DeviceExec ex{dw.device - MT_DEVICE_CUDA, op};
  mt_status st = MT_OK;
  mt::dispatch_float(dw.dtype, [&](auto tag) {
    using T = decltype(tag);
    st = backward_weight<T>(ex, op, g, view_of<T>(gy), view_of<T>(x), out_of<T>(dw), kWorkspaceBytes, err);
  });
  return st;
}
