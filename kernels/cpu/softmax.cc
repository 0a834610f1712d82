// log_softmax over the last dim of a strided view (ops/softmax.ts permutes the softmax dim there), as
// PyTorch's CPU kernel: out = x - max - log(sum(exp(x - max))), in float32 for float32 and half
// inputs (rounded once on store) and in float64 for float64.
//
// log_softmax(x, out); log_softmax_backward(grad_out, out, grad_in): grad_in = g - exp(out) * sum(g).
#include <algorithm>
#include <cmath>

#include "nn.h"

namespace mt {
namespace {

mt_status check_rows(mt_error* err, const char* op, const mt_tensor* ts, const char* const* names, int n) {
  for (int i = 0; i < n; ++i) {
    MT_TRY(check_float(err, op, names[i], ts[i]));
    MT_TRY(check_dtype(err, op, names[i], ts[i], ts[0].dtype));
    MT_TRY(check_shape(err, op, names[i], ts[i], ts[0].layout.shape, ts[0].layout.ndim));
  }
  if (ts[0].layout.ndim < 1) return fail(err, MT_ERR_SHAPE, "%s: input has 0 dims (expected at least 1)", op);
  return MT_OK;
}

// Runs fn(row_offsets[], stride[], len) for every row along the last dim, in parallel.
template <int N, class Fn>
void for_rows(const mt_tensor* ts, Fn&& fn) {
  const mt_layout& l = ts[0].layout;
  const int nd = l.ndim;
  const int64_t len = l.shape[nd - 1];
  const int64_t rows = len == 0 ? 0 : numel(l) / len;
  int64_t stride[N];
  for (int t = 0; t < N; ++t) stride[t] = ts[t].layout.strides[nd - 1];
  parallel_for(rows, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(len, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t off[N];
      for (int t = 0; t < N; ++t) off[t] = offset_of(ts[t].layout, nd - 1, r);
      fn(off, stride, len);
    }
  });
}

}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_log_softmax(mt_tensor* args, int32_t, const double*, int32_t nattrs, mt_error* err) {
  using namespace mt;
  const char* op = "log_softmax";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const char* names[] = {"input", "output"};
  MT_TRY(check_rows(err, op, args, names, 2));
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* x = base_of<T>(args[0]);
    T* y = base_of<T>(args[1]);
    for_rows<2>(args, [&](const int64_t* off, const int64_t* st, int64_t n) {
      const T* xr = x + off[0];
      T* yr = y + off[1];
      A m = -INFINITY;
      for (int64_t i = 0; i < n; ++i) {
        const A v = load(xr[i * st[0]]);
        m = std::isnan(v) || v > m ? v : m;
      }
      A s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::exp(load(xr[i * st[0]]) - m);
      const A ls = std::log(s);
      for (int64_t i = 0; i < n; ++i) yr[i * st[1]] = store<T>(load(xr[i * st[0]]) - m - ls);
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_log_softmax_backward(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                               mt_error* err) {
  using namespace mt;
  const char* op = "log_softmax_backward";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const char* names[] = {"grad_output", "output", "grad_input"};
  MT_TRY(check_rows(err, op, args, names, 3));
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* g = base_of<T>(args[0]);
    const T* y = base_of<T>(args[1]);
    T* gi = base_of<T>(args[2]);
    for_rows<3>(args, [&](const int64_t* off, const int64_t* st, int64_t n) {
      A s = 0;
      for (int64_t i = 0; i < n; ++i) s += load(g[off[0] + i * st[0]]);
      for (int64_t i = 0; i < n; ++i)
        gi[off[2] + i * st[2]] = store<T>(load(g[off[0] + i * st[0]]) - std::exp(load(y[off[1] + i * st[1]])) * s);
    });
  });
  return MT_OK;
}
