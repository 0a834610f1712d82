// Shared by the training-stack kernels (pool, batch_norm, softmax, cross_entropy, dropout): argument
// checks that name the op, and strided element access in the compute type (float for half, rounded
// once on store; double for float64).
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernel.h"
#include "parallel.h"

namespace mt {

// Element type pointer of a tensor at its view offset.
template <class T>
inline T* base_of(const mt_tensor& t) {
  return static_cast<T*>(t.data) + t.layout.offset;
}

// Reads element `off` (in elements, from the view offset) of a float tensor of any float dtype as double.
inline double read_any(const mt_tensor& t, int64_t off) {
  switch (t.dtype) {
    case MT_FLOAT32:
      return base_of<float>(t)[off];
    case MT_FLOAT16:
      return to_double(base_of<f16>(t)[off]);
    case MT_BFLOAT16:
      return to_double(base_of<bf16>(t)[off]);
    case MT_FLOAT64:
      return base_of<double>(t)[off];
  }
  return 0;
}

// Writes a value computed in double (float64 tensors) or already in float (float32 and half tensors:
// the value is rounded to float first, then once to the half type).
inline void write_any(const mt_tensor& t, int64_t off, double v) {
  switch (t.dtype) {
    case MT_FLOAT32:
      base_of<float>(t)[off] = float(v);
      break;
    case MT_FLOAT16:
      base_of<f16>(t)[off] = store<f16>(float(v));
      break;
    case MT_BFLOAT16:
      base_of<bf16>(t)[off] = store<bf16>(float(v));
      break;
    case MT_FLOAT64:
      base_of<double>(t)[off] = v;
      break;
  }
}

inline mt_status check_float(mt_error* err, const char* op, const char* name, const mt_tensor& t) {
  if (!is_float_dtype(t.dtype))
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: %s has dtype %s (expected float32, float16, bfloat16 or float64)",
                op, name, dtype_name(t.dtype));
  return MT_OK;
}

inline mt_status check_dtype(mt_error* err, const char* op, const char* name, const mt_tensor& t, int32_t dt) {
  if (t.dtype != dt)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: %s has dtype %s (expected %s)", op, name, dtype_name(t.dtype),
                dtype_name(dt));
  return MT_OK;
}

inline mt_status check_ndim(mt_error* err, const char* op, const char* name, const mt_tensor& t, int ndim) {
  if (t.layout.ndim != ndim)
    return fail(err, MT_ERR_SHAPE, "%s: %s has %d dims (expected %d)", op, name, t.layout.ndim, ndim);
  return MT_OK;
}

// Checks t's shape is exactly `shape` (n dims).
inline mt_status check_shape(mt_error* err, const char* op, const char* name, const mt_tensor& t,
                             const int64_t* shape, int n) {
  if (t.layout.ndim == n) {
    bool ok = true;
    for (int d = 0; d < n; ++d) ok = ok && t.layout.shape[d] == shape[d];
    if (ok) return MT_OK;
  }
  char want[160], got[160];
  int p = 0, q = 0;
  want[0] = got[0] = 0;
  for (int d = 0; d < n && p < 140; ++d) p += std::snprintf(want + p, sizeof(want) - p, d ? ", %lld" : "%lld", (long long)shape[d]);
  for (int d = 0; d < t.layout.ndim && q < 140; ++d)
    q += std::snprintf(got + q, sizeof(got) - q, d ? ", %lld" : "%lld", (long long)t.layout.shape[d]);
  return fail(err, MT_ERR_SHAPE, "%s: %s has shape [%s] (expected [%s])", op, name, got, want);
}

inline mt_status check_attrs(mt_error* err, const char* op, int32_t nattrs, int32_t want) {
  if (nattrs != want) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d attributes, got %d", op, want, nattrs);
  return MT_OK;
}

// An attribute that must be an integer in [lo, hi].
inline mt_status check_int_attr(mt_error* err, const char* op, const char* name, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi) || v != double(int64_t(v)))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: %s must be an integer in [%g, %g], got %g", op, name, lo, hi, v);
  return MT_OK;
}

// The offset of element idx (row-major index into the first `nd` dims) of a layout.
inline int64_t offset_of(const mt_layout& l, int nd, int64_t idx) {
  int64_t off = 0;
  for (int d = nd - 1; d >= 0; --d) {
    const int64_t i = idx % l.shape[d];
    idx /= l.shape[d];
    off += i * l.strides[d];
  }
  return off;
}

}  // namespace mt

#define MT_TRY(expr)                   \
  do {                                 \
    const mt_status mt_s_ = (expr);    \
    if (mt_s_ != MT_OK) return mt_s_;  \
  } while (0)
