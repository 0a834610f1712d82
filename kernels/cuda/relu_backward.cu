// relu_backward(grad_out, output, grad_in) on the device: grad_in = output <= 0 ? 0 : grad_out (a NaN
// output passes its gradient through), as kernels/cpu/relu_backward.cc; the gradient's bits are copied.
#include "../cpu/nn.h"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

template <class T>
struct ReluBackward {
  __device__ void operator()(char** p) const {
    const T g = ld<T>(p[0]), y = ld<T>(p[1]);
    if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) {
      const uint16_t mag = y.bits & 0x7fff, inf = std::is_same_v<T, f16> ? 0x7c00 : 0x7f80;
      const bool not_positive = mag == 0 || ((y.bits >> 15) && mag <= inf);
      st<T>(p[2], T{uint16_t(not_positive ? 0 : g.bits)});
    } else {
      st<T>(p[2], y <= T(0) ? T(0) : g);
    }
  }
};

}  // namespace

extern "C" mt_status mt_cuda_k_relu_backward(mt_tensor* args, int32_t, const double*, int32_t, mt_error* err) {
  const char* op = "relu_backward";
  const mt_tensor &g = args[0], &y = args[1], &gi = args[2];
  MT_TRY(check_float(err, op, "grad_output", g));
  MT_TRY(check_dtype(err, op, "output", y, g.dtype));
  MT_TRY(check_dtype(err, op, "grad_input", gi, g.dtype));
  MT_TRY(check_shape(err, op, "output", y, g.layout.shape, g.layout.ndim));
  MT_TRY(check_shape(err, op, "grad_input", gi, g.layout.shape, g.layout.ndim));
  dispatch_float(g.dtype, [&](auto tag) { launch_elementwise<3>(args, ReluBackward<decltype(tag)>{}); });
  return MT_OK;
}
