// Window geometry shared by the 2-D pooling kernels, with PyTorch's output-size rule and checks.
#pragma once

#include <algorithm>

#include "nn.h"

namespace mt {

struct Pool2d {
  int64_t kh, kw, sh, sw, ph, pw, dh = 1, dw = 1;
  bool ceil = false;
};

// PyTorch's pooling_output_shape: floor (or ceil) division, and with ceil_mode the last window must
// start inside the input or its left padding.
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  int64_t o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil && (o - 1) * s >= in + p) --o;
  return o;
}

// Reads [kh, kw, sh, sw, ph, pw, (dh, dw,) ceil] from attrs and checks them as PyTorch does.
inline mt_status parse_pool(mt_error* err, const char* op, const double* a, bool dilation, Pool2d* p) {
  const double big = double(1 << 30);
  const char* names[] = {"kernel_h", "kernel_w", "stride_h", "stride_w", "padding_h", "padding_w"};
  for (int i = 0; i < 6; ++i) MT_TRY(check_int_attr(err, op, names[i], a[i], i < 4 ? 1 : 0, big));
  p->kh = int64_t(a[0]), p->kw = int64_t(a[1]), p->sh = int64_t(a[2]), p->sw = int64_t(a[3]);
  p->ph = int64_t(a[4]), p->pw = int64_t(a[5]);
  int next = 6;
  if (dilation) {
    MT_TRY(check_int_attr(err, op, "dilation_h", a[6], 1, big));
    MT_TRY(check_int_attr(err, op, "dilation_w", a[7], 1, big));
    p->dh = int64_t(a[6]), p->dw = int64_t(a[7]);
    next = 8;
  }
  MT_TRY(check_int_attr(err, op, "ceil_mode", a[next], 0, 1));
  p->ceil = a[next] != 0;
  if (p->ph > p->kh / 2 || p->pw > p->kw / 2)
    return fail(err, MT_ERR_INVALID_ARGUMENT,
                "%s: padding [%lld, %lld] must be at most half the kernel size [%lld, %lld]", op, (long long)p->ph,
                (long long)p->pw, (long long)p->kh, (long long)p->kw);
  return MT_OK;
}

// Checks x is a 4-D float tensor whose windows fit, and that `out` (and `other`, when given, e.g. the
// indices) have the pooled shape. Fills the output size.
inline mt_status check_pool_shapes(mt_error* err, const char* op, const mt_tensor& x, const char* out_name,
                                   const mt_tensor& out, const Pool2d& p, int64_t* oh, int64_t* ow) {
  MT_TRY(check_float(err, op, "input", x));
  MT_TRY(check_ndim(err, op, "input", x, 4));
  const int64_t h = x.layout.shape[2], w = x.layout.shape[3];
  *oh = pool_out_size(h, p.kh, p.sh, p.ph, p.dh, p.ceil);
  *ow = pool_out_size(w, p.kw, p.sw, p.pw, p.dw, p.ceil);
  if (*oh < 1 || *ow < 1)
    return fail(err, MT_ERR_SHAPE,
                "%s: the padded input [%lld, %lld] is smaller than the (dilated) kernel [%lld, %lld] "
                "(output size would be [%lld, %lld])",
                op, (long long)(h + 2 * p.ph), (long long)(w + 2 * p.pw), (long long)(p.dh * (p.kh - 1) + 1),
                (long long)(p.dw * (p.kw - 1) + 1), (long long)*oh, (long long)*ow);
  const int64_t want[4] = {x.layout.shape[0], x.layout.shape[1], *oh, *ow};
  return check_shape(err, op, out_name, out, want, 4);
}

// The backwards accumulate a plane in scratch memory of the plane's size: a contiguous grad_input
// bounds it by memory that exists (an expanded view could claim any size).
inline mt_status check_scratch_output(mt_error* err, const char* op, const mt_tensor& gi) {
  if (!is_contiguous(gi.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: grad_input must be contiguous", op);
  return MT_OK;
}

// Parallel over the N*C planes; `work` is the cost of one plane, to size the grain.
// avg_pool2d's attrs: the pool geometry plus count_include_pad (attrs[7]).
inline mt_status parse_avg(mt_error* err, const char* op, const double* attrs, int32_t nattrs, Pool2d* p,
                           bool* include_pad) {
  MT_TRY(check_attrs(err, op, nattrs, 8));
  MT_TRY(parse_pool(err, op, attrs, false, p));
  MT_TRY(check_int_attr(err, op, "count_include_pad", attrs[7], 0, 1));
  *include_pad = attrs[7] != 0;
  return MT_OK;
}

// adaptive_avg_pool2d(_backward): `small` is [N, C, OH, OW] of `big`'s N and C, and big's plane is not
// empty when there is anything to pool.
inline mt_status check_adaptive(mt_error* err, const char* op, const mt_tensor& small, const char* small_name,
                                const mt_tensor& big, const char* big_name) {
  MT_TRY(check_float(err, op, small_name, small));
  MT_TRY(check_float(err, op, big_name, big));
  MT_TRY(check_dtype(err, op, small_name, small, big.dtype));
  MT_TRY(check_ndim(err, op, big_name, big, 4));
  MT_TRY(check_ndim(err, op, small_name, small, 4));
  const int64_t want[4] = {big.layout.shape[0], big.layout.shape[1], small.layout.shape[2], small.layout.shape[3]};
  MT_TRY(check_shape(err, op, small_name, small, want, 4));
  if ((big.layout.shape[2] == 0 || big.layout.shape[3] == 0) && numel(small.layout) > 0)
    return fail(err, MT_ERR_SHAPE, "%s: %s has an empty plane [%lld, %lld] (expected non-empty H and W)", op, big_name,
                (long long)big.layout.shape[2], (long long)big.layout.shape[3]);
  return MT_OK;
}

// max_pool2d_backward(grad_output, indices, grad_input): indices shaped as grad_output, grad_input a
// contiguous [N, C, H, W] of grad_output's dtype.
inline mt_status check_max_pool_backward(mt_error* err, const char* op, int32_t nattrs, const mt_tensor& g,
                                         const mt_tensor& idx, const mt_tensor& gi) {
  MT_TRY(check_attrs(err, op, nattrs, 0));
  MT_TRY(check_float(err, op, "grad_output", g));
  MT_TRY(check_ndim(err, op, "grad_output", g, 4));
  MT_TRY(check_dtype(err, op, "indices", idx, MT_INT32));
  MT_TRY(check_shape(err, op, "indices", idx, g.layout.shape, 4));
  MT_TRY(check_dtype(err, op, "grad_input", gi, g.dtype));
  MT_TRY(check_ndim(err, op, "grad_input", gi, 4));
  const int64_t want[4] = {g.layout.shape[0], g.layout.shape[1], gi.layout.shape[2], gi.layout.shape[3]};
  MT_TRY(check_shape(err, op, "grad_input", gi, want, 4));
  return check_scratch_output(err, op, gi);
}

// avg_pool2d(x, out), attrs as parse_avg; out of x's dtype and the pooled shape.
inline mt_status check_avg_pool2d(mt_error* err, const char* op, const mt_tensor* args, const double* attrs,
                                  int32_t nattrs, Pool2d* p, bool* include_pad, int64_t* oh, int64_t* ow) {
  MT_TRY(parse_avg(err, op, attrs, nattrs, p, include_pad));
  MT_TRY(check_pool_shapes(err, op, args[0], "output", args[1], *p, oh, ow));
  return check_dtype(err, op, "output", args[1], args[0].dtype);
}

// avg_pool2d_backward(grad_output, grad_input): grad_input a contiguous [N, C, H, W] of grad_output's dtype.
inline mt_status check_avg_pool2d_backward(mt_error* err, const char* op, const mt_tensor* args, const double* attrs,
                                           int32_t nattrs, Pool2d* p, bool* include_pad, int64_t* oh, int64_t* ow) {
  const mt_tensor &g = args[0], &gi = args[1];
  MT_TRY(parse_avg(err, op, attrs, nattrs, p, include_pad));
  MT_TRY(check_pool_shapes(err, op, gi, "grad_output", g, *p, oh, ow));
  MT_TRY(check_dtype(err, op, "grad_output", g, gi.dtype));
  return check_scratch_output(err, op, gi);
}

// max_pool2d(x, out, indices), 9 attrs (with dilation); indices int32 over an input plane.
inline mt_status check_max_pool2d(mt_error* err, const char* op, const mt_tensor* args, const double* attrs,
                                  int32_t nattrs, Pool2d* p, int64_t* oh, int64_t* ow) {
  MT_TRY(check_attrs(err, op, nattrs, 9));
  MT_TRY(parse_pool(err, op, attrs, true, p));
  const mt_tensor &x = args[0], &out = args[1], &idx = args[2];
  MT_TRY(check_pool_shapes(err, op, x, "output", out, *p, oh, ow));
  MT_TRY(check_shape(err, op, "indices", idx, out.layout.shape, 4));
  MT_TRY(check_dtype(err, op, "output", out, x.dtype));
  MT_TRY(check_dtype(err, op, "indices", idx, MT_INT32));
  const int64_t plane = x.layout.shape[2] * x.layout.shape[3];
  if (plane > INT32_MAX)
    return fail(err, MT_ERR_SHAPE, "%s: an input plane of %lld elements overflows int32 indices", op, (long long)plane);
  return MT_OK;
}

template <class Fn>
inline void for_planes(int64_t n, int64_t c, int64_t work, Fn&& fn) {
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, work));
  parallel_for(n * c, grain, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) fn(plane / c, plane % c);
  });
}

}  // namespace mt
