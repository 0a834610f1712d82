// relu's gradient in one pass: grad_in = output <= 0 ? 0 : grad_out, as PyTorch's threshold_backward
// (a NaN output passes its gradient through). Replaces gt + where: one read of each input, no bool mask.
//
// relu_backward(grad_out, output, grad_in): one dtype, one shape.
#include "kernel.h"
#include "nn.h"
#include "strided.h"

namespace {

// y <= 0 (false for NaN), branch-free so the loops below vectorise: float compares for float and
// double, the sign and magnitude bits for the half types (NaN: magnitude above the infinity pattern).
inline bool not_positive(float y) { return y <= 0.f; }
inline bool not_positive(double y) { return y <= 0.0; }
inline bool not_positive(mt::f16 y) {
  const uint16_t mag = y.bits & 0x7fff;
  return (mag == 0) | ((y.bits >> 15) & (mag <= 0x7c00));
}
inline bool not_positive(mt::bf16 y) {
  const uint16_t mag = y.bits & 0x7fff;
  return (mag == 0) | ((y.bits >> 15) & (mag <= 0x7f80));
}

// The selected gradient: both sides are read unconditionally (a conditional load would keep the
// compiler from if-converting, and random signs make the branch mispredict half the time).
template <class T>
inline T select_grad(T y, T g) {
  if constexpr (std::is_same_v<T, mt::f16> || std::is_same_v<T, mt::bf16>) {
    return T{uint16_t(not_positive(y) ? 0 : g.bits)};
  } else {
    return not_positive(y) ? T(0) : g;
  }
}

template <class T>
void relu_backward_rows(mt_tensor* args) {
  mt_tensor* ts[3] = {&args[0], &args[1], &args[2]};
  const int64_t sizes[3] = {int64_t(sizeof(T)), int64_t(sizeof(T)), int64_t(sizeof(T))};
  mt::Rows<3>(ts, sizes).run([&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizes[0] && s[1] == sizes[1] && s[2] == sizes[2]) {
      const T* g = reinterpret_cast<const T*>(p[0]);
      const T* y = reinterpret_cast<const T*>(p[1]);
      T* out = reinterpret_cast<T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) out[i] = select_grad(y[i], g[i]);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T y = *reinterpret_cast<const T*>(p[1] + i * s[1]);
      const T g = *reinterpret_cast<const T*>(p[0] + i * s[0]);
      *reinterpret_cast<T*>(p[2] + i * s[2]) = select_grad(y, g);
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
