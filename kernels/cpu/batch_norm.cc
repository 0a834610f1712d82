// batch_norm over (N, C, *) inputs, per channel, as PyTorch's CPU kernels (native_batch_norm and
// native_batch_norm_backward). The batchnorm-fp32 policy's kernel: the input may be float16/bfloat16
// while weight, bias and running statistics are float32; statistics accumulate in float64, the
// per-element transform runs in float32 (float64 for float64 inputs) and the output is rounded once
// to the input's dtype.
//
// batch_norm(x, [weight], [bias], [running_mean, running_var], out, save_mean, save_invstd)
//   attrs [training, momentum, eps, has_weight, has_bias, has_running]
//   training (or no running stats): batch mean and biased variance; the running stats (when given and
//   training) become (1 - momentum) * running + momentum * stat, with the unbiased variance.
//   eval: the running stats. save_mean/save_invstd get the mean and 1/sqrt(var + eps) used.
// batch_norm_backward(grad_out, x, [weight], save_mean, save_invstd, grad_in, grad_weight, grad_bias)
//   attrs [training, has_weight]; eval treats mean/invstd as constants (grad_in = g * invstd * w).
#include <algorithm>
#include <cmath>
#include <vector>

#include "batch_norm.h"

namespace mt {
namespace {

// Calls fn(off[K], inner_stride[K], n) over the elements of channel c (every dim but dim 1) of K
// tensors of one shape, row by row along the last dim.
template <int K, class Fn>
void for_channel(const mt_tensor* const* ts, int64_t c, Fn&& fn) {
  const mt_layout& l0 = ts[0]->layout;
  int nd = 0;
  int64_t size[MT_MAX_DIMS], st[K][MT_MAX_DIMS], off[K];
  for (int d = 0; d < l0.ndim; ++d) {
    if (l0.shape[d] == 0) return;
    if (d == 1 || l0.shape[d] == 1) continue;
    size[nd] = l0.shape[d];
    for (int t = 0; t < K; ++t) st[t][nd] = ts[t]->layout.strides[d];
    ++nd;
  }
  for (int t = 0; t < K; ++t) off[t] = c * ts[t]->layout.strides[1];
  if (nd == 0) {
    int64_t one[K];
    for (int t = 0; t < K; ++t) one[t] = 1;
    fn(off, one, 1);
    return;
  }
  int64_t inner[K], idx[MT_MAX_DIMS] = {0};
  for (int t = 0; t < K; ++t) inner[t] = st[t][nd - 1];
  for (;;) {
    fn(off, inner, size[nd - 1]);
    int d = nd - 2;
    for (; d >= 0; --d) {
      ++idx[d];
      for (int t = 0; t < K; ++t) off[t] += st[t][d];
      if (idx[d] < size[d]) break;
      for (int t = 0; t < K; ++t) off[t] -= st[t][d] * size[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}


}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_batch_norm(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                     mt_error* err) {
  using namespace mt;
  const char* op = "batch_norm";
  BatchNormArgs p{};
  MT_TRY(parse_batch_norm(err, op, args, nargs, attrs, nattrs, &p));
  const mt_tensor &x = *p.x, &out = *p.out, &sm = *p.sm, &si = *p.si;
  const mt_tensor *w = p.w, *b = p.b, *rm = p.rm, *rv = p.rv;
  const bool training = p.training, has_r = p.has_r, batch_stats = p.batch_stats;
  const double momentum = p.momentum, eps = p.eps;
  const int64_t c = p.c, count = p.count;
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* xp = base_of<T>(x);
    T* yp = base_of<T>(out);
    const mt_tensor* io[2] = {&x, &out};
    parallel_for(c, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(count, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        double mean, invstd;
        if (batch_stats) {
          double s = 0;
          for_channel<1>(io, ch, [&](const int64_t* off, const int64_t* st, int64_t n) {
            for (int64_t i = 0; i < n; ++i) s += double(load(xp[off[0] + i * st[0]]));
          });
          mean = s / double(count);
          double ss = 0;
          for_channel<1>(io, ch, [&](const int64_t* off, const int64_t* st, int64_t n) {
            for (int64_t i = 0; i < n; ++i) {
              const double d = double(load(xp[off[0] + i * st[0]])) - mean;
              ss += d * d;
            }
          });
          invstd = 1.0 / std::sqrt(ss / double(count) + eps);
          if (training && has_r) {
            const double r_m = read_any(*rm, ch * rm->layout.strides[0]);
            const double r_v = read_any(*rv, ch * rv->layout.strides[0]);
            write_any(*rm, ch * rm->layout.strides[0], momentum * mean + (1 - momentum) * r_m);
            write_any(*rv, ch * rv->layout.strides[0], momentum * (ss / double(count - 1)) + (1 - momentum) * r_v);
          }
        } else {
          mean = read_any(*rm, ch * rm->layout.strides[0]);
          invstd = 1.0 / std::sqrt(read_any(*rv, ch * rv->layout.strides[0]) + eps);
        }
        write_any(sm, ch * sm.layout.strides[0], mean);
        write_any(si, ch * si.layout.strides[0], invstd);
        const double wv = w ? read_any(*w, ch * w->layout.strides[0]) : 1.0;
        const double bv = b ? read_any(*b, ch * b->layout.strides[0]) : 0.0;
        const A alpha = A(invstd * wv), beta = A(bv - mean * (invstd * wv));
        for_channel<2>(io, ch, [&](const int64_t* off, const int64_t* st, int64_t n) {
          for (int64_t i = 0; i < n; ++i) yp[off[1] + i * st[1]] = store<T>(load(xp[off[0] + i * st[0]]) * alpha + beta);
        });
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_batch_norm_backward(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                              mt_error* err) {
  using namespace mt;
  const char* op = "batch_norm_backward";
  BatchNormBackwardArgs p{};
  MT_TRY(parse_batch_norm_backward(err, op, args, nargs, attrs, nattrs, &p));
  const mt_tensor &g = *p.g, &x = *p.x, &sm = *p.sm, &si = *p.si, &gi = *p.gi, &gw = *p.gw, &gb = *p.gb;
  const mt_tensor* w = p.w;
  const bool training = p.training;
  const int64_t c = p.c, count = p.count;
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* xp = base_of<T>(x);
    const T* gp = base_of<T>(g);
    T* dp = base_of<T>(gi);
    const mt_tensor* io[3] = {&x, &g, &gi};
    parallel_for(c, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(count, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        const double mean = read_any(sm, ch * sm.layout.strides[0]);
        const double invstd = read_any(si, ch * si.layout.strides[0]);
        const double wv = w ? read_any(*w, ch * w->layout.strides[0]) : 1.0;
        double sum = 0, dot = 0;
        for_channel<2>(io, ch, [&](const int64_t* off, const int64_t* st, int64_t n) {
          for (int64_t i = 0; i < n; ++i) {
            const double dy = double(load(gp[off[1] + i * st[1]]));
            sum += dy;
            dot += (double(load(xp[off[0] + i * st[0]])) - mean) * dy;
          }
        });
        write_any(gw, ch * gw.layout.strides[0], dot * invstd);
        write_any(gb, ch * gb.layout.strides[0], sum);
        // The per-element transform runs in the compute type (float32 for half inputs, as a GPU does),
        // with the per-channel coefficients from the float64 sums.
        using A = typename OpMath<T>::type;
        const A scale = A(invstd * wv), am = A(mean);
        const A grad_mean = training ? A(sum / double(count)) : A(0);
        const A k = training ? A(dot * invstd * invstd / double(count)) : A(0);
        for_channel<3>(io, ch, [&](const int64_t* off, const int64_t* st, int64_t n) {
          for (int64_t i = 0; i < n; ++i) {
            const A dy = load(gp[off[1] + i * st[1]]);
            const A v = training ? (dy - grad_mean - (load(xp[off[0] + i * st[0]]) - am) * k) * scale : dy * scale;
            dp[off[2] + i * st[2]] = store<T>(v);
          }
        });
      }
    });
  });
  return MT_OK;
}
