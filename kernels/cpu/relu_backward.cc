// relu's gradient in one pass: grad_in = output <= 0 ? 0 : grad_out, as PyTorch's threshold_backward
// (a NaN output passes its gradient through). Replaces gt + where: one read of each input, no bool mask.
//
// relu_backward(grad_out, output, grad_in): one dtype, one shape.
#include "kernel.h"
#include "nn.h"
#include "strided.h"

namespace {

template <class T>
void relu_backward_rows(mt_tensor* args) {
  mt_tensor* ts[3] = {&args[0], &args[1], &args[2]};
  const int64_t sizes[3] = {int64_t(sizeof(T)), int64_t(sizeof(T)), int64_t(sizeof(T))};
  mt::Rows<3>(ts, sizes).run([&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizes[0] && s[1] == sizes[1] && s[2] == sizes[2]) {
      const T* g = reinterpret_cast<const T*>(p[0]);
      const T* y = reinterpret_cast<const T*>(p[1]);
      T* out = reinterpret_cast<T*>(p[2]);
      // Contiguous rows: a branch-free select the compiler vectorises for float and double.
      for (int64_t i = 0; i < n; ++i) out[i] = mt::load(y[i]) <= 0 ? T{} : g[i];
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T y = *reinterpret_cast<const T*>(p[1] + i * s[1]);
      *reinterpret_cast<T*>(p[2] + i * s[2]) = mt::load(y) <= 0 ? T{} : *reinterpret_cast<const T*>(p[0] + i * s[0]);
    }
  });
}

}  // namespace

extern "C" mt_status mt_k_relu_backward(mt_tensor* args, int32_t, const double*, int32_t, mt_error* err) {
  using namespace mt;
  const char* op = "relu_backward";
  const mt_tensor &g = args[0], &y = args[1], &gi = args[2];
  MT_TRY(check_float(err, op, "grad_output", g));
  MT_TRY(check_dtype(err, op, "output", y, g.dtype));
  MT_TRY(check_dtype(err, op, "grad_input", gi, g.dtype));
  MT_TRY(check_shape(err, op, "output", y, g.layout.shape, g.layout.ndim));
  MT_TRY(check_shape(err, op, "grad_input", gi, g.layout.shape, g.layout.ndim));
  dispatch_float(g.dtype, [&](auto tag) { relu_backward_rows<decltype(tag)>(args); });
  return MT_OK;
}
