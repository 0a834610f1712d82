// The argument checks of dropout and dropout_backward, shared by the CPU kernels (dropout.cc) and the
// CUDA kernels (kernels/cuda/dropout.cu), so both reject the same calls with the same messages.
//
// dropout(x, out, mask), attrs [p, seed, offset]; out and mask (bool) contiguous.
// dropout_backward(grad_out, mask, grad_in), attrs [scale].
#pragma once

#include <cmath>

#include "nn.h"

namespace mt {

inline mt_status check_dropout(const mt_tensor* args, const double* attrs, int32_t nattrs, mt_error* err) {
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
  return MT_OK;
}

inline mt_status check_dropout_backward(const mt_tensor* args, const double* attrs, int32_t nattrs, mt_error* err) {
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
  return MT_OK;
}

}  // namespace mt
