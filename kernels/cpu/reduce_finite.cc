// all_finite: one pass over (possibly strided) memory answering "no inf, no NaN" into a 0-d bool. The
// overflow check of mixed-precision training runs it on every gradient, so contiguous float rows take
// the branch-free SIMD loops of reduce_vec.h (no early exit: the time does not depend on the data).
#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernel.h"
#include "reduce_vec.h"
#include "strided.h"

namespace {

template <class Bits>
bool strided_finite(const char* p, int64_t stride, int64_t n, Bits exp) {
  Bits bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, p + i * stride, sizeof(Bits));
    bad |= Bits((b & exp) == exp);
  }
  return bad == 0;
}

// A row of dtype T: the SIMD check when contiguous, else the strided loop on the exponent field Exp.
template <class T, class Bits>
bool row_finite(const mt::ReduceVec& v, const char* p, int64_t stride, int64_t n, Bits exp) {
  if (stride == int64_t(sizeof(T))) return mt::row_fns<T>(v).finite(mt::row_ptr<T>(p), n);
  return strided_finite<Bits>(p, stride, n, exp);
}

}  // namespace

extern "C" mt_status mt_k_all_finite(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                     mt_error* err) {
  using namespace mt;
  if (nargs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "all_finite: expected 2 tensors (x, out), got %d", nargs);
  const mt_tensor& x = args[0];
  mt_tensor& out = args[1];
  if (nattrs >= 1 && attrs[0] != double(x.layout.ndim)) {
    return fail(err, MT_ERR_INVALID_ARGUMENT, "all_finite: expected to reduce all %d dims, got %g", x.layout.ndim,
                attrs[0]);
  }
  if (out.dtype != MT_BOOL) {
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "all_finite: expected a bool output, got %s", dtype_name(out.dtype));
  }
  if (numel(out.layout) != 1) {
    return fail(err, MT_ERR_SHAPE, "all_finite: expected a one-element output, got %lld elements",
                static_cast<long long>(numel(out.layout)));
  }
  std::atomic<bool> finite{true};
  const int32_t dt = x.dtype;
  if (dt != MT_INT32 && dt != MT_BOOL && numel(x.layout) > 0) {
    const ReduceVec& v = reduce_vec();
    // The answer does not depend on the visiting order: walk the dims in memory order (largest stride
    // outermost), so a transposed view reads contiguous rows instead of striding through memory.
    mt_tensor sorted = x;
    mt_layout& l = sorted.layout;
    int order[MT_MAX_DIMS];
    for (int d = 0; d < l.ndim; ++d) order[d] = d;
    std::stable_sort(order, order + l.ndim, [&](int a, int b) { return x.layout.strides[a] > x.layout.strides[b]; });
    for (int d = 0; d < l.ndim; ++d) {
      l.shape[d] = x.layout.shape[order[d]];
      l.strides[d] = x.layout.strides[order[d]];
    }
    mt_tensor* t[1] = {&sorted};
    const int64_t isz = itemsize(dt);
    const Rows<1> rows(t, &isz);
    rows.run([&](char** p, const int64_t* s, int64_t n) {
      bool ok;
      switch (dt) {
        case MT_FLOAT32:
          ok = row_finite<float>(v, p[0], s[0], n, 0x7F800000u);
          break;
        case MT_FLOAT16:
          ok = row_finite<f16>(v, p[0], s[0], n, uint16_t(0x7C00));
          break;
        case MT_BFLOAT16:
          ok = row_finite<bf16>(v, p[0], s[0], n, uint16_t(0x7F80));
          break;
        default:
          ok = row_finite<double>(v, p[0], s[0], n, 0x7FF0000000000000ull);
          break;
      }
      if (!ok) finite.store(false, std::memory_order_relaxed);
    });
  }
  const bool result = finite.load();
  std::memcpy(static_cast<char*>(out.data) + out.layout.offset, &result, 1);
  return MT_OK;
}
