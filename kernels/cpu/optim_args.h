// Argument checks of the fused optimizer steps (sgd_step, adam_step) and of the loss scaler's fused
// unscale_check, shared by the CPU and CUDA kernels.
#pragma once

#include <cmath>

#include "nn.h"

namespace mt {

inline mt_status check_param_and_grad(mt_error* err, const char* op, const mt_tensor& p, const mt_tensor& g) {
  MT_TRY(check_float(err, op, "param", p));
  MT_TRY(check_dtype(err, op, "grad", g, p.dtype));
  return check_shape(err, op, "grad", g, p.layout.shape, p.layout.ndim);
}

// Optimizer state: the param's dtype, or float32 (fp32 moments for a half parameter).
inline mt_status check_state(mt_error* err, const char* op, const char* name, const mt_tensor& s, const mt_tensor& p) {
  if (s.dtype != p.dtype && s.dtype != MT_FLOAT32)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: %s must have the param's dtype or float32, got dtype code %d", op,
                name, int(s.dtype));
  return check_shape(err, op, name, s, p.layout.shape, p.layout.ndim);
}

inline mt_status check_hyper(mt_error* err, const char* op, const char* name, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi) || !std::isfinite(v))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: %s must be in [%g, %g], got %g", op, name, lo, hi, v);
  return MT_OK;
}

// Calls fn(T{}, S{}) for the param dtype T and the state dtype S (T itself or float).
template <class Fn>
void dispatch_param_state(int32_t param_dtype, int32_t state_dtype, Fn&& fn) {
  dispatch_float(param_dtype, [&](auto tag) {
    if (state_dtype == param_dtype) fn(tag, tag);
    else fn(tag, float{});
  });
}

// unscale_check(src_0..src_n-1, dst_0..dst_n-1, found), attrs [inv_scale]: found int32 [n].
inline mt_status check_unscale_check(const mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                     mt_error* err) {
  const char* op = "unscale_check";
  if (nargs < 1 || nargs % 2 != 1)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected n sources, n destinations and found, got %d tensors", op,
                int(nargs));
  MT_TRY(check_attrs(err, op, nattrs, 1));
  const double inv_scale = attrs[0];
  if (!(inv_scale > 0) || !std::isfinite(inv_scale))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: inv_scale must be finite and > 0, got %g", op, inv_scale);
  const int n = (nargs - 1) / 2;
  const mt_tensor& found = args[nargs - 1];
  MT_TRY(check_dtype(err, op, "found", found, MT_INT32));
  const int64_t want[1] = {n};
  MT_TRY(check_shape(err, op, "found", found, want, 1));
  for (int i = 0; i < n; ++i) {
    MT_TRY(check_float(err, op, "source", args[i]));
    MT_TRY(check_float(err, op, "destination", args[n + i]));
    MT_TRY(check_shape(err, op, "destination", args[n + i], args[i].layout.shape, args[i].layout.ndim));
  }
  return MT_OK;
}

}  // namespace mt
