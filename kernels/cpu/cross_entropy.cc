// cross_entropy from logits (N, C) and int32 targets (N), as PyTorch's nll_loss(log_softmax(x)):
// loss_i = -(x_it - max_i - log(sum_c exp(x_ic - max_i))), computed in float32 from float32/half
// logits (float64 from float64). The loss is float32 (float64 for float64 logits): the product's
// lossFp32 policy. Reduction 0 none, 1 mean (over the non-ignored targets; 0/0 = NaN when all are
// ignored, as PyTorch), 2 sum. Ignored rows give loss 0 and gradient 0.
//
// cross_entropy(logits, target, loss), attrs [reduction, ignore_index].
// cross_entropy_backward(grad_loss, logits, target, grad_logits), same attrs.
#include <algorithm>
#include <atomic>
#include <new>
#include <cmath>
#include <vector>

#include "cross_entropy.h"

namespace mt {
namespace {

mt_status check_ce(mt_error* err, const char* op, const double* attrs, int32_t nattrs, const mt_tensor& logits,
                   const mt_tensor& target, Ce* ce) {
  MT_TRY(check_ce_args(err, op, attrs, nattrs, logits, target, ce));
  return count_targets(err, op, base_of<int32_t>(target), target.layout.strides[0], ce);
}

// max and log(sum(exp(x - max))) of row i.
template <class T, class A>
void row_stats(const T* row, int64_t stride, int64_t c, A* m, A* ls) {
  A mx = -INFINITY;
  for (int64_t j = 0; j < c; ++j) {
    const A v = load(row[j * stride]);
    mx = std::isnan(v) || v > mx ? v : mx;
  }
  A s = 0;
  for (int64_t j = 0; j < c; ++j) s += std::exp(load(row[j * stride]) - mx);
  *m = mx;
  *ls = std::log(s);
}

}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_cross_entropy(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  const char* op = "cross_entropy";
  const mt_tensor &x = args[0], &target = args[1], &loss = args[2];
  Ce ce;
  MT_TRY(check_ce(err, op, attrs, nattrs, x, target, &ce));
  MT_TRY(check_dtype(err, op, "loss", loss, loss_dtype(x.dtype)));
  const int64_t want[1] = {ce.n};
  MT_TRY(check_shape(err, op, "loss", loss, want, ce.reduction == 0 ? 1 : 0));
  // Allocated here, on the calling thread, so that a failure is reported (an expanded view of logits
  // can claim any number of rows).
  std::vector<double> per_row;
  try {
    per_row.assign(size_t(ce.n), 0.0);
  } catch (const std::bad_alloc&) {
    return fail(err, MT_ERR_OUT_OF_MEMORY, "%s: cannot allocate %lld per-row losses", op, (long long)ce.n);
  }
  const int32_t* t = base_of<int32_t>(target);
  const int64_t ts = target.layout.strides[0];
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* xp = base_of<T>(x);
    const int64_t s0 = x.layout.strides[0], s1 = x.layout.strides[1];
    parallel_for(ce.n, std::max<int64_t>(1, 4096 / std::max<int64_t>(ce.c, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t k = t[i * ts];
        if (k == ce.ignore) continue;
        A m, ls;
        row_stats(xp + i * s0, s1, ce.c, &m, &ls);
        const A logp = load(xp[i * s0 + k * s1]) - m - ls;
        per_row[size_t(i)] = double(-logp);
      }
    });
  });
  if (ce.reduction == 0) {
    for (int64_t i = 0; i < ce.n; ++i) write_any(loss, i * loss.layout.strides[0], per_row[size_t(i)]);
  } else {
    double s = 0;
    for (double v : per_row) s += v;
    write_any(loss, 0, ce.reduction == 1 ? s / double(ce.count) : s);
  }
  return MT_OK;
}

extern "C" mt_status mt_k_cross_entropy_backward(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                                 mt_error* err) {
  using namespace mt;
  const char* op = "cross_entropy_backward";
  const mt_tensor &g = args[0], &x = args[1], &target = args[2], &gx = args[3];
  Ce ce;
  MT_TRY(check_ce(err, op, attrs, nattrs, x, target, &ce));
  MT_TRY(check_dtype(err, op, "grad_loss", g, loss_dtype(x.dtype)));
  const int64_t want[1] = {ce.n};
  MT_TRY(check_shape(err, op, "grad_loss", g, want, ce.reduction == 0 ? 1 : 0));
  MT_TRY(check_dtype(err, op, "grad_logits", gx, x.dtype));
  MT_TRY(check_shape(err, op, "grad_logits", gx, x.layout.shape, 2));
  const int32_t* t = base_of<int32_t>(target);
  const int64_t ts = target.layout.strides[0];
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* xp = base_of<T>(x);
    T* gp = base_of<T>(gx);
    const int64_t s0 = x.layout.strides[0], s1 = x.layout.strides[1];
    const int64_t g0 = gx.layout.strides[0], g1 = gx.layout.strides[1];
    parallel_for(ce.n, std::max<int64_t>(1, 4096 / std::max<int64_t>(ce.c, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t k = t[i * ts];
        if (k == ce.ignore) {
          for (int64_t j = 0; j < ce.c; ++j) gp[i * g0 + j * g1] = store<T>(A(0));
          continue;
        }
        A scale = A(read_any(g, ce.reduction == 0 ? i * g.layout.strides[0] : 0));
        if (ce.reduction == 1) scale /= A(ce.count);
        A m, ls;
        row_stats(xp + i * s0, s1, ce.c, &m, &ls);
        for (int64_t j = 0; j < ce.c; ++j) {
          const A p = std::exp(load(xp[i * s0 + j * s1]) - m - ls);
          gp[i * g0 + j * g1] = store<T>(p * scale - (j == k ? scale : A(0)));
        }
      }
    });
  });
  return MT_OK;
}
