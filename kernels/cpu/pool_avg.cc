// avg_pool2d and adaptive_avg_pool2d with their backwards, as PyTorch's CPU kernels: sums in the compute
// type (float for half, rounded once on store), row by row through the window.
//
// avg_pool2d(x, out), attrs [kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad].
// avg_pool2d_backward(grad_out, grad_in), same attrs (the input size is grad_in's).
// adaptive_avg_pool2d(x, out): window o covers [floor(o*I/O), ceil((o+1)*I/O)).
// adaptive_avg_pool2d_backward(grad_out, grad_in).
#include <vector>

#include "pool.h"

namespace mt {
namespace {

// One avg_pool2d window: the clipped range and PyTorch's divisor (0 when the window is all padding).
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};

Window avg_window(const Pool2d& p, bool include_pad, int64_t h, int64_t w, int64_t i, int64_t j) {
  int64_t h0 = i * p.sh - p.ph, w0 = j * p.sw - p.pw;
  int64_t h1 = std::min(h0 + p.kh, h + p.ph), w1 = std::min(w0 + p.kw, w + p.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, h), w1 = std::min(w1, w);
  if (h0 >= h1 || w0 >= w1) return {h0, h0, w0, w0, 0};
  return {h0, h1, w0, w1, include_pad ? padded : (h1 - h0) * (w1 - w0)};
}


int64_t start_index(int64_t o, int64_t out, int64_t in) { return (o * in) / out; }
int64_t end_index(int64_t o, int64_t out, int64_t in) { return ((o + 1) * in + out - 1) / out; }


}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_avg_pool2d(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  const char* op = "avg_pool2d";
  Pool2d p;
  bool include_pad;
  int64_t oh, ow;
  MT_TRY(check_avg_pool2d(err, op, args, attrs, nattrs, &p, &include_pad, &oh, &ow));
  const mt_tensor &x = args[0], &out = args[1];
  const mt_layout &xl = x.layout, &ol = out.layout;
  const int64_t h = xl.shape[2], w = xl.shape[3];
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* xp = base_of<T>(x);
    T* dst = base_of<T>(out);
    for_planes(xl.shape[0], xl.shape[1], oh * ow * p.kh * p.kw, [&](int64_t n, int64_t c) {
      const T* src = xp + n * xl.strides[0] + c * xl.strides[1];
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          const Window win = avg_window(p, include_pad, h, w, i, j);
          A sum = 0;
          for (int64_t y = win.h0; y < win.h1; ++y)
            for (int64_t x_ = win.w0; x_ < win.w1; ++x_) sum += load(src[y * xl.strides[2] + x_ * xl.strides[3]]);
          const A v = win.divisor == 0 ? A(0) : sum / A(win.divisor);
          dst[n * ol.strides[0] + c * ol.strides[1] + i * ol.strides[2] + j * ol.strides[3]] = store<T>(v);
        }
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_avg_pool2d_backward(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                              mt_error* err) {
  using namespace mt;
  const char* op = "avg_pool2d_backward";
  Pool2d p;
  bool include_pad;
  int64_t oh, ow;
  MT_TRY(check_avg_pool2d_backward(err, op, args, attrs, nattrs, &p, &include_pad, &oh, &ow));
  const mt_tensor &g = args[0], &gi = args[1];
  const mt_layout &gl = g.layout, &il = gi.layout;
  const int64_t h = il.shape[2], w = il.shape[3];
  dispatch_float(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* gp = base_of<T>(g);
    T* dst = base_of<T>(gi);
    for_planes(il.shape[0], il.shape[1], oh * ow * p.kh * p.kw + h * w, [&](int64_t n, int64_t c) {
      std::vector<A> acc(size_t(h * w), A(0));
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          const Window win = avg_window(p, include_pad, h, w, i, j);
          if (win.divisor == 0) continue;
          const A d = load(gp[n * gl.strides[0] + c * gl.strides[1] + i * gl.strides[2] + j * gl.strides[3]]) / A(win.divisor);
          for (int64_t y = win.h0; y < win.h1; ++y)
            for (int64_t x_ = win.w0; x_ < win.w1; ++x_) acc[size_t(y * w + x_)] += d;
        }
      }
      T* plane = dst + n * il.strides[0] + c * il.strides[1];
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x_ = 0; x_ < w; ++x_) plane[y * il.strides[2] + x_ * il.strides[3]] = store<T>(acc[size_t(y * w + x_)]);
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_adaptive_avg_pool2d(mt_tensor* args, int32_t, const double*, int32_t nattrs, mt_error* err) {
  using namespace mt;
  const char* op = "adaptive_avg_pool2d";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const mt_tensor &x = args[0], &out = args[1];
  MT_TRY(check_adaptive(err, op, out, "output", x, "input"));
  const mt_layout &xl = x.layout, &ol = out.layout;
  const int64_t h = xl.shape[2], w = xl.shape[3], oh = ol.shape[2], ow = ol.shape[3];
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* xp = base_of<T>(x);
    T* dst = base_of<T>(out);
    for_planes(xl.shape[0], xl.shape[1], h * w + oh * ow, [&](int64_t n, int64_t c) {
      const T* src = xp + n * xl.strides[0] + c * xl.strides[1];
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t h0 = start_index(i, oh, h), h1 = end_index(i, oh, h);
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t w0 = start_index(j, ow, w), w1 = end_index(j, ow, w);
          A sum = 0;
          for (int64_t y = h0; y < h1; ++y)
            for (int64_t x_ = w0; x_ < w1; ++x_) sum += load(src[y * xl.strides[2] + x_ * xl.strides[3]]);
          dst[n * ol.strides[0] + c * ol.strides[1] + i * ol.strides[2] + j * ol.strides[3]] =
              store<T>(sum / A(h1 - h0) / A(w1 - w0));
        }
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_adaptive_avg_pool2d_backward(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                                       mt_error* err) {
  using namespace mt;
  const char* op = "adaptive_avg_pool2d_backward";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const mt_tensor &g = args[0], &gi = args[1];
  MT_TRY(check_adaptive(err, op, g, "grad_output", gi, "grad_input"));
  MT_TRY(check_scratch_output(err, op, gi));
  const mt_layout &gl = g.layout, &il = gi.layout;
  const int64_t h = il.shape[2], w = il.shape[3], oh = gl.shape[2], ow = gl.shape[3];
  dispatch_float(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const T* gp = base_of<T>(g);
    T* dst = base_of<T>(gi);
    for_planes(il.shape[0], il.shape[1], h * w + oh * ow, [&](int64_t n, int64_t c) {
      std::vector<A> acc(size_t(h * w), A(0));
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t h0 = start_index(i, oh, h), h1 = end_index(i, oh, h);
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t w0 = start_index(j, ow, w), w1 = end_index(j, ow, w);
          const A d = load(gp[n * gl.strides[0] + c * gl.strides[1] + i * gl.strides[2] + j * gl.strides[3]]) /
                      A(h1 - h0) / A(w1 - w0);
          for (int64_t y = h0; y < h1; ++y)
            for (int64_t x_ = w0; x_ < w1; ++x_) acc[size_t(y * w + x_)] += d;
        }
      }
      T* plane = dst + n * il.strides[0] + c * il.strides[1];
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x_ = 0; x_ < w; ++x_) plane[y * il.strides[2] + x_ * il.strides[3]] = store<T>(acc[size_t(y * w + x_)]);
    });
  });
  return MT_OK;
}
