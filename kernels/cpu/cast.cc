// cast: convert a strided tensor of one dtype into another (same dtype: a strided copy).
//
// The scalar path decodes exactly to double and rounds once (half.h), so every pair is correctly
// rounded. The hot pairs (float32 <-> float16 / bfloat16) take SIMD paths in cast_simd.cc, which the
// tests hold bit-identical to this one.
#include <cstring>

#include "cast_simd.h"
#include "kernel.h"
#include "strided.h"

namespace mt {
namespace {

template <class S, class D>
void cast_row(char** p, const int64_t* s, int64_t n) {
  const char* src = p[0];
  char* dst = p[1];
  for (int64_t i = 0; i < n; ++i) {
    S x;
    std::memcpy(&x, src + i * s[0], sizeof(S));
    const D y = from_double<D>(to_double<S>(x));
    std::memcpy(dst + i * s[1], &y, sizeof(D));
  }
}

template <class T>
void copy_row(char** p, const int64_t* s, int64_t n) {
  if (s[0] == int64_t(sizeof(T)) && s[1] == int64_t(sizeof(T))) {
    std::memcpy(p[1], p[0], size_t(n) * sizeof(T));
    return;
  }
  for (int64_t i = 0; i < n; ++i) std::memcpy(p[1] + i * s[1], p[0] + i * s[0], sizeof(T));
}

}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_cast(mt_tensor* args, int32_t, const double*, int32_t, mt_error* err) {
  using namespace mt;
  mt_tensor* t[2] = {&args[0], &args[1]};
  if (!same_shape(args[0].layout, args[1].layout))
    return fail(err, MT_ERR_SHAPE, "cast: input and output shapes differ");
  const int64_t sizes[2] = {itemsize(args[0].dtype), itemsize(args[1].dtype)};
  const Rows<2> rows(t, sizes);
  const int32_t sdt = args[0].dtype, ddt = args[1].dtype;
  if (sdt == ddt) {
    dispatch_all(sdt, [&](auto s) { rows.run(copy_row<decltype(s)>); });
    return MT_OK;
  }
  if (CastRowFn simd = simd_cast_row(sdt, ddt)) {
    rows.run(simd);
    return MT_OK;
  }
  dispatch_all(sdt, [&](auto s) {
    dispatch_all(ddt, [&](auto d) { rows.run(cast_row<decltype(s), decltype(d)>); });
  });
  return MT_OK;
}
