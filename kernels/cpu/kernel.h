// What every kernel file includes: the ABI, error helpers and dtype dispatch.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "half.h"
#include "mantissa/abi.h"

#define MT_KERNEL(name, arity) \
  extern "C" mt_status mt_k_##name(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err);
#include "../ops.def"
#undef MT_KERNEL

namespace mt {

inline const char* dtype_name(int32_t dt) {
  switch (dt) {
    case MT_FLOAT32:
      return "float32";
    case MT_FLOAT16:
      return "float16";
    case MT_BFLOAT16:
      return "bfloat16";
    case MT_FLOAT64:
      return "float64";
    case MT_INT32:
      return "int32";
    case MT_BOOL:
      return "bool";
  }
  return "unknown";
}

inline int64_t itemsize(int32_t dt) { return int64_t(mt_dtype_size(dt)); }

inline mt_status fail(mt_error* err, mt_status status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  return status;
}

inline int64_t numel(const mt_layout& l) {
  int64_t n = 1;
  for (int d = 0; d < l.ndim; ++d) n *= l.shape[d];
  return n;
}

inline bool same_shape(const mt_layout& a, const mt_layout& b) {
  if (a.ndim != b.ndim) return false;
  for (int d = 0; d < a.ndim; ++d)
    if (a.shape[d] != b.shape[d]) return false;
  return true;
}

inline bool is_contiguous(const mt_layout& l) {
  if (numel(l) == 0) return true;  // as PyTorch: an empty tensor is contiguous whatever its strides
  int64_t expected = 1;
  for (int d = l.ndim - 1; d >= 0; --d) {
    if (l.shape[d] != 1 && l.strides[d] != expected) return false;
    expected *= l.shape[d];
  }
  return true;
}

// Calls fn(T{}) with the C++ type of dtype `dt`.
template <class Fn>
inline bool dispatch_all(int32_t dt, Fn&& fn) {
  switch (dt) {
    case MT_FLOAT32:
      fn(float{});
      return true;
    case MT_FLOAT16:
      fn(f16{});
      return true;
    case MT_BFLOAT16:
      fn(bf16{});
      return true;
    case MT_FLOAT64:
      fn(double{});
      return true;
    case MT_INT32:
      fn(int32_t{});
      return true;
    case MT_BOOL:
      fn(bool{});
      return true;
  }
  return false;
}

inline bool is_float_dtype(int32_t dt) {
  return dt == MT_FLOAT32 || dt == MT_FLOAT16 || dt == MT_BFLOAT16 || dt == MT_FLOAT64;
}

// dispatch_all restricted to the four float dtypes: fn is only instantiated for them; false for the others.
template <class Fn>
inline bool dispatch_float(int32_t dt, Fn&& fn) {
  if (!is_float_dtype(dt)) return false;
  return dispatch_all(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, int32_t> && !std::is_same_v<T, bool>) fn(tag);
  });
}

// The type a value of T is computed in: half types in float (rounded once on store).
template <class T>
struct OpMath {
  using type = T;
};
template <>
struct OpMath<f16> {
  using type = float;
};
template <>
struct OpMath<bf16> {
  using type = float;
};

template <class T>
inline typename OpMath<T>::type load(T x) {
  return x;
}
inline float load(f16 x) { return half_to_float(x); }
inline float load(bf16 x) { return half_to_float(x); }

template <class T>
inline T store(typename OpMath<T>::type x) {
  return x;
}
template <>
inline f16 store<f16>(float x) {
  return float_to_f16(x);
}
template <>
inline bf16 store<bf16>(float x) {
  return float_to_bf16(x);
}

}  // namespace mt
