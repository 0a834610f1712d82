// The arguments of cross_entropy(_backward), checked the same way on every device: the CPU kernel reads
// the targets in place, the CUDA kernel after copying them to the host.
#pragma once

#include "nn.h"

namespace mt {

struct Ce {
  int reduction;
  int64_t ignore;
  int64_t n, c, count;  // count: targets that are not ignore_index (the mean's divisor)
};

// attrs [reduction, ignore_index]; logits [N, C] float, target [N] int32.
inline mt_status check_ce_args(mt_error* err, const char* op, const double* attrs, int32_t nattrs,
                               const mt_tensor& logits, const mt_tensor& target, Ce* ce) {
  MT_TRY(check_attrs(err, op, nattrs, 2));
  MT_TRY(check_int_attr(err, op, "reduction", attrs[0], 0, 2));
  MT_TRY(check_int_attr(err, op, "ignore_index", attrs[1], -2147483648.0, 2147483647.0));
  MT_TRY(check_float(err, op, "logits", logits));
  MT_TRY(check_ndim(err, op, "logits", logits, 2));
  MT_TRY(check_dtype(err, op, "target", target, MT_INT32));
  const int64_t want[1] = {logits.layout.shape[0]};
  MT_TRY(check_shape(err, op, "target", target, want, 1));
  *ce = {int(attrs[0]), int64_t(attrs[1]), logits.layout.shape[0], logits.layout.shape[1], 0};
  return MT_OK;
}

// Every target in [0, C) or ignore_index, read from host memory `t` (element stride `stride`); counts
// the ones that are not ignored.
inline mt_status count_targets(mt_error* err, const char* op, const int32_t* t, int64_t stride, Ce* ce) {
  for (int64_t i = 0; i < ce->n; ++i) {
    const int64_t k = t[i * stride];
    if (k == ce->ignore) continue;
    if (k < 0 || k >= ce->c)
      return fail(err, MT_ERR_INVALID_ARGUMENT,
                  "%s: target %lld at index %lld is out of range for %lld classes (expected 0..%lld or ignore_index %lld)",
                  op, (long long)k, (long long)i, (long long)ce->c, (long long)(ce->c - 1), (long long)ce->ignore);
    ++ce->count;
  }
  return MT_OK;
}

// The loss is float32 for float32 and half logits, float64 for float64 ones.
inline int32_t loss_dtype(int32_t logits) { return logits == MT_FLOAT64 ? MT_FLOAT64 : MT_FLOAT32; }

}  // namespace mt
