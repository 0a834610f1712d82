// The arguments of batch_norm and batch_norm_backward, parsed and checked the same way on every device.
//
// batch_norm(x, [weight], [bias], [running_mean, running_var], out, save_mean, save_invstd)
//   attrs [training, momentum, eps, has_weight, has_bias, has_running]
// batch_norm_backward(grad_out, x, [weight], save_mean, save_invstd, grad_in, grad_weight, grad_bias)
//   attrs [training, has_weight]
// x is (N, C, *); the per-channel tensors are [C] of any float dtype.
#pragma once

#include <cmath>

#include "nn.h"

namespace mt {

struct BatchNormArgs {
  const mt_tensor *x, *w, *b, *rm, *rv, *out, *sm, *si;
  bool training, has_r, batch_stats;
  double momentum, eps;
  int64_t c, count;  // channels, values per channel
};

struct BatchNormBackwardArgs {
  const mt_tensor *g, *x, *w, *sm, *si, *gi, *gw, *gb;
  bool training;
  int64_t c, count;
};

inline mt_status check_channel_param(mt_error* err, const char* op, const char* name, const mt_tensor& p, int64_t c) {
  MT_TRY(check_float(err, op, name, p));
  const int64_t want[1] = {c};
  return check_shape(err, op, name, p, want, 1);
}

inline mt_status check_nc_input(mt_error* err, const char* op, const mt_tensor& x) {
  MT_TRY(check_float(err, op, "input", x));
  if (x.layout.ndim < 2)
    return fail(err, MT_ERR_SHAPE, "%s: input has %d dims (expected at least 2, (N, C, *))", op, x.layout.ndim);
  return MT_OK;
}

inline mt_status parse_batch_norm(mt_error* err, const char* op, const mt_tensor* args, int32_t nargs,
                                  const double* attrs, int32_t nattrs, BatchNormArgs* p) {
  MT_TRY(check_attrs(err, op, nattrs, 6));
  for (int i : {0, 3, 4, 5}) MT_TRY(check_int_attr(err, op, "flag", attrs[i], 0, 1));
  const bool training = attrs[0] != 0, has_w = attrs[3] != 0, has_b = attrs[4] != 0, has_r = attrs[5] != 0;
  const double momentum = attrs[1], eps = attrs[2];
  if (!(eps >= 0) || !std::isfinite(eps) || !std::isfinite(momentum))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: eps must be finite and >= 0 and momentum finite, got %g and %g", op,
                eps, momentum);
  const int want_args = 4 + has_w + has_b + 2 * has_r;
  if (nargs != want_args)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d tensor arguments, got %d", op, want_args, nargs);
  int a = 0;
  const mt_tensor& x = args[a++];
  const mt_tensor* w = has_w ? &args[a++] : nullptr;
  const mt_tensor* b = has_b ? &args[a++] : nullptr;
  const mt_tensor* rm = has_r ? &args[a++] : nullptr;
  const mt_tensor* rv = has_r ? &args[a++] : nullptr;
  const mt_tensor &out = args[a], &sm = args[a + 1], &si = args[a + 2];
  MT_TRY(check_nc_input(err, op, x));
  const int64_t c = x.layout.shape[1];
  if (w) MT_TRY(check_channel_param(err, op, "weight", *w, c));
  if (b) MT_TRY(check_channel_param(err, op, "bias", *b, c));
  if (rm) MT_TRY(check_channel_param(err, op, "running_mean", *rm, c));
  if (rv) MT_TRY(check_channel_param(err, op, "running_var", *rv, c));
  MT_TRY(check_dtype(err, op, "output", out, x.dtype));
  MT_TRY(check_shape(err, op, "output", out, x.layout.shape, x.layout.ndim));
  MT_TRY(check_channel_param(err, op, "save_mean", sm, c));
  MT_TRY(check_channel_param(err, op, "save_invstd", si, c));
  const bool batch_stats = training || !has_r;
  const int64_t count = c == 0 ? 0 : numel(x.layout) / c;
  if (batch_stats && count < 2 && numel(x.layout) > 0)
    return fail(err, MT_ERR_SHAPE, "%s: expected more than 1 value per channel when training, got %lld", op,
                (long long)count);
  *p = {&x, w, b, rm, rv, &out, &sm, &si, training, has_r, batch_stats, momentum, eps, c, count};
  return MT_OK;
}

inline mt_status parse_batch_norm_backward(mt_error* err, const char* op, const mt_tensor* args, int32_t nargs,
                                           const double* attrs, int32_t nattrs, BatchNormBackwardArgs* p) {
  MT_TRY(check_attrs(err, op, nattrs, 2));
  for (int i : {0, 1}) MT_TRY(check_int_attr(err, op, "flag", attrs[i], 0, 1));
  const bool training = attrs[0] != 0, has_w = attrs[1] != 0;
  if (nargs != 7 + has_w)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d tensor arguments, got %d", op, 7 + has_w, nargs);
  int a = 0;
  const mt_tensor &g = args[a++], &x = args[a++];
  const mt_tensor* w = has_w ? &args[a++] : nullptr;
  const mt_tensor &sm = args[a], &si = args[a + 1], &gi = args[a + 2], &gw = args[a + 3], &gb = args[a + 4];
  MT_TRY(check_nc_input(err, op, x));
  MT_TRY(check_dtype(err, op, "grad_output", g, x.dtype));
  MT_TRY(check_shape(err, op, "grad_output", g, x.layout.shape, x.layout.ndim));
  MT_TRY(check_dtype(err, op, "grad_input", gi, x.dtype));
  MT_TRY(check_shape(err, op, "grad_input", gi, x.layout.shape, x.layout.ndim));
  const int64_t c = x.layout.shape[1];
  if (w) MT_TRY(check_channel_param(err, op, "weight", *w, c));
  MT_TRY(check_channel_param(err, op, "save_mean", sm, c));
  MT_TRY(check_channel_param(err, op, "save_invstd", si, c));
  MT_TRY(check_channel_param(err, op, "grad_weight", gw, c));
  MT_TRY(check_channel_param(err, op, "grad_bias", gb, c));
  *p = {&g, &x, w, &sm, &si, &gi, &gw, &gb, training, c, c == 0 ? 0 : numel(x.layout) / c};
  return MT_OK;
}

}  // namespace mt
