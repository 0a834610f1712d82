// max_pool2d and its backward, as PyTorch: NaN wins (the last NaN of a window), padding never wins,
// indices are int32 positions h * W + w in the input plane.
//
// max_pool2d(x, out, indices), attrs [kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode].
// max_pool2d_backward(grad_out, indices, grad_in): grad_in = scatter-add of grad_out at the indices,
// accumulated per plane in the compute type and rounded once.
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "pool.h"

extern "C" mt_status mt_k_max_pool2d(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                     mt_error* err) {
  using namespace mt;
  const char* op = "max_pool2d";
  Pool2d p;
  int64_t oh, ow;
  MT_TRY(check_max_pool2d(err, op, args, attrs, nattrs, &p, &oh, &ow));
  const mt_tensor &x = args[0], &out = args[1], &idx = args[2];
  const mt_layout &xl = x.layout, &ol = out.layout, &il = idx.layout;
  const int64_t h = xl.shape[2], w = xl.shape[3];
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* xp = base_of<T>(x);
    T* op_ = base_of<T>(out);
    int32_t* ip = base_of<int32_t>(idx);
    for_planes(xl.shape[0], xl.shape[1], oh * ow * p.kh * p.kw, [&](int64_t n, int64_t c) {
      const T* xin = xp + n * xl.strides[0] + c * xl.strides[1];
      for (int64_t i = 0; i < oh; ++i) {
        int64_t h0 = i * p.sh - p.ph;
        const int64_t h1 = std::min(h0 + (p.kh - 1) * p.dh + 1, h);
        while (h0 < 0) h0 += p.dh;
        for (int64_t j = 0; j < ow; ++j) {
          int64_t w0 = j * p.sw - p.pw;
          const int64_t w1 = std::min(w0 + (p.kw - 1) * p.dw + 1, w);
          while (w0 < 0) w0 += p.dw;
          A best = -std::numeric_limits<A>::infinity();
          int64_t at = h0 * w + w0;
          for (int64_t y = h0; y < h1; y += p.dh) {
            for (int64_t x_ = w0; x_ < w1; x_ += p.dw) {
              const A v = load(xin[y * xl.strides[2] + x_ * xl.strides[3]]);
              if (v > best || std::isnan(v)) {
                best = v;
                at = y * w + x_;
              }
            }
          }
          op_[n * ol.strides[0] + c * ol.strides[1] + i * ol.strides[2] + j * ol.strides[3]] = store<T>(best);
          ip[n * il.strides[0] + c * il.strides[1] + i * il.strides[2] + j * il.strides[3]] = int32_t(at);
        }
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_max_pool2d_backward(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                              mt_error* err) {
  using namespace mt;
  const char* op = "max_pool2d_backward";
  const mt_tensor &g = args[0], &idx = args[1], &gi = args[2];
  MT_TRY(check_max_pool_backward(err, op, nattrs, g, idx, gi));
  const mt_layout &gl = g.layout, &il = idx.layout, &ol = gi.layout;
  const int64_t oh = gl.shape[2], ow = gl.shape[3], h = ol.shape[2], w = ol.shape[3];
  std::atomic<bool> any_bad{false};
  std::atomic<int64_t> bad{0};
  dispatch_float(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* gp = base_of<T>(g);
    const int32_t* ip = base_of<int32_t>(idx);
    T* op_ = base_of<T>(gi);
    for_planes(gl.shape[0], gl.shape[1], oh * ow + h * w, [&](int64_t n, int64_t c) {
      std::vector<A> acc(size_t(h * w), A(0));
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t k = ip[n * il.strides[0] + c * il.strides[1] + i * il.strides[2] + j * il.strides[3]];
          if (k < 0 || k >= h * w) {
            bad.store(k);
            any_bad.store(true);
            continue;
          }
          acc[size_t(k)] += load(gp[n * gl.strides[0] + c * gl.strides[1] + i * gl.strides[2] + j * gl.strides[3]]);
        }
      }
      T* dst = op_ + n * ol.strides[0] + c * ol.strides[1];
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x_ = 0; x_ < w; ++x_) dst[y * ol.strides[2] + x_ * ol.strides[3]] = store<T>(acc[size_t(y * w + x_)]);
    });
  });
  if (any_bad.load())
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: index %lld is out of range for an input plane of %lld x %lld (expected 0..%lld)",
                op, (long long)bad.load(), (long long)h, (long long)w, (long long)(h * w - 1));
  return MT_OK;
}
