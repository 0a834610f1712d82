// fill and arange: the creation kernels that need no input.
#include <cstring>

#include "kernel.h"
#include "strided.h"

extern "C" mt_status mt_k_fill(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  if (nattrs != 1) return fail(err, MT_ERR_INVALID_ARGUMENT, "fill: expected 1 attribute (value), got %d", nattrs);
  mt_tensor* t[1] = {&args[0]};
  const int64_t size = itemsize(args[0].dtype);
  const Rows<1> rows(t, &size);
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T value = from_double<T>(attrs[0]);
    rows.run([&](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], &value, sizeof(T));
    });
  });
  return MT_OK;
}

// out[i] = start + i * step, computed in double and rounded once to the output dtype.
extern "C" mt_status mt_k_arange(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  if (nattrs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "arange: expected 2 attributes (start, step), got %d", nattrs);
  const mt_layout& l = args[0].layout;
  if (l.ndim != 1) return fail(err, MT_ERR_SHAPE, "arange: output must be 1-D, got %d dims", l.ndim);
  const double start = attrs[0], step = attrs[1];
  const int64_t size = itemsize(args[0].dtype);
  char* const base = static_cast<char*>(args[0].data) + l.offset * size;
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    parallel_for(l.shape[0], 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T v = from_double<T>(start + double(i) * step);
        std::memcpy(base + i * l.strides[0] * size, &v, sizeof(T));
      }
    });
  });
  return MT_OK;
}
