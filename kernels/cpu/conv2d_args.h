// The conv2d kernels' argument checks and geometry, header-only so that the CPU kernels (conv2d*.cc)
// and the CUDA ones (kernels/cuda/conv2d.cu) accept and reject exactly the same calls with the same
// messages.
//
// attrs (every kernel): [stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups].
#pragma once

#include <cmath>
#include <cstdint>

#include "kernel.h"

namespace mt {
namespace conv {

struct Geometry {
  int64_t n, c, h, w;       // input
  int64_t co, kh, kw;       // weight [co, c / groups, kh, kw]
  int64_t oh, ow;           // output
  int64_t sh, sw, ph, pw, dh, dw, groups;
  int64_t cg, cog, kg, p;   // channels a group (in, out), im2col rows a group, output positions
};

inline bool attr_int(double v, int64_t lo, int64_t* out) {
  if (!(v >= double(lo)) || v > 9007199254740992.0 || std::floor(v) != v) return false;
  *out = int64_t(v);
  return true;
}

// The dtype all tensors share, checked: float32, float16, bfloat16 or float64.
inline mt_status common_dtype(const char* op, const mt_tensor* args, int32_t nargs, mt_error* err) {
  const int32_t dt = args[0].dtype;
  for (int32_t i = 1; i < nargs; ++i)
    if (args[i].dtype != dt)
      return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: expected every tensor in %s, got %s for argument %d", op,
                  dtype_name(dt), dtype_name(args[i].dtype), i);
  if (dt != MT_FLOAT32 && dt != MT_FLOAT16 && dt != MT_BFLOAT16 && dt != MT_FLOAT64)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: expected float32, float16, bfloat16 or float64, got %s", op,
                dtype_name(dt));
  return MT_OK;
}

// Reads and checks attrs and the three 4-d layouts: `in` is x (or its gradient), `wt` the weight
// (or its gradient) and `out` the output (or its gradient). Returns MT_OK or a failure naming `op`.
inline mt_status plan(const char* op, const mt_layout& in, const mt_layout& wt, const mt_layout& out,
                      const double* attrs, int32_t nattrs, Geometry* g, mt_error* err) {
  if (nattrs != 7)
    return fail(err, MT_ERR_INVALID_ARGUMENT,
                "%s: expected 7 attrs (stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups), got %d",
                op, nattrs);
  const char* names[7] = {"stride_h", "stride_w", "pad_h", "pad_w", "dilation_h", "dilation_w", "groups"};
  const int64_t mins[7] = {1, 1, 0, 0, 1, 1, 1};
  int64_t v[7];
  for (int i = 0; i < 7; ++i)
    if (!attr_int(attrs[i], mins[i], &v[i]))
      return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %s to be an integer >= %lld, got %g", op, names[i],
                  (long long)mins[i], attrs[i]);
  if (in.ndim != 4 || wt.ndim != 4 || out.ndim != 4)
    return fail(err, MT_ERR_SHAPE, "%s: expected 4-d input, weight and output, got %d-d, %d-d and %d-d", op, in.ndim,
                wt.ndim, out.ndim);
  g->sh = v[0];
  g->sw = v[1];
  g->ph = v[2];
  g->pw = v[3];
  g->dh = v[4];
  g->dw = v[5];
  g->groups = v[6];
  g->n = in.shape[0];
  g->c = in.shape[1];
  g->h = in.shape[2];
  g->w = in.shape[3];
  g->co = wt.shape[0];
  g->kh = wt.shape[2];
  g->kw = wt.shape[3];
  if (g->c % g->groups != 0 || g->co % g->groups != 0)
    return fail(err, MT_ERR_SHAPE, "%s: expected groups = %lld to divide the input channels %lld and output channels %lld",
                op, (long long)g->groups, (long long)g->c, (long long)g->co);
  g->cg = g->c / g->groups;
  g->cog = g->co / g->groups;
  if (wt.shape[1] != g->cg)
    return fail(err, MT_ERR_SHAPE, "%s: expected weight.shape[1] = %lld (input channels %lld / groups %lld), got %lld",
                op, (long long)g->cg, (long long)g->c, (long long)g->groups, (long long)wt.shape[1]);
  const int64_t eh = (g->kh - 1) * g->dh + 1, ew = (g->kw - 1) * g->dw + 1;
  if (g->kh < 1 || g->kw < 1 || eh > g->h + 2 * g->ph || ew > g->w + 2 * g->pw)
    return fail(err, MT_ERR_SHAPE, "%s: expected a dilated kernel [%lld, %lld] of at least 1 and at most the padded input [%lld, %lld]",
                op, (long long)eh, (long long)ew, (long long)(g->h + 2 * g->ph), (long long)(g->w + 2 * g->pw));
  g->oh = (g->h + 2 * g->ph - eh) / g->sh + 1;
  g->ow = (g->w + 2 * g->pw - ew) / g->sw + 1;
  if (out.shape[0] != g->n || out.shape[1] != g->co || out.shape[2] != g->oh || out.shape[3] != g->ow)
    return fail(err, MT_ERR_SHAPE, "%s: expected output [%lld, %lld, %lld, %lld], got [%lld, %lld, %lld, %lld]", op,
                (long long)g->n, (long long)g->co, (long long)g->oh, (long long)g->ow, (long long)out.shape[0],
                (long long)out.shape[1], (long long)out.shape[2], (long long)out.shape[3]);
  g->kg = g->cg * g->kh * g->kw;
  g->p = g->oh * g->ow;
  return MT_OK;
}

// True when dims [from, from + count) of `l` can be walked as one dim of stride *stride (size-1 dims
// ignored), e.g. (oh, ow) of a row-major plane or (ci, kh, kw) of a row-major weight.
inline bool flat(const mt_layout& l, int from, int count, int64_t* stride) {
  int64_t expect = 0, s = 1;
  bool any = false;
  for (int d = from + count - 1; d >= from; --d) {
    if (l.shape[d] == 1) continue;
    if (!any) {
      s = l.strides[d];
      expect = s * l.shape[d];
      any = true;
      continue;
    }
    if (l.strides[d] != expect) return false;
    expect *= l.shape[d];
  }
  *stride = s;
  return true;
}

// ---- Each kernel's whole argument check: tensor count, dtypes, geometry, contiguous output.

// conv2d: x, w, [bias], out. *bias is null without one.
inline mt_status check_forward(const char* op, const mt_tensor* args, int32_t nargs, const double* attrs,
                               int32_t nattrs, Geometry* g, const mt_tensor** bias, mt_error* err) {
  if (nargs != 3 && nargs != 4)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 3 or 4 tensors (x, w, [bias], out), got %d", op, nargs);
  mt_status st = common_dtype(op, args, nargs, err);
  if (st != MT_OK) return st;
  const mt_tensor &x = args[0], &w = args[1], &y = args[nargs - 1];
  *bias = nargs == 4 ? &args[2] : nullptr;
  st = plan(op, x.layout, w.layout, y.layout, attrs, nattrs, g, err);
  if (st != MT_OK) return st;
  const mt_tensor* b = *bias;
  if (b && (b->layout.ndim != 1 || b->layout.shape[0] != g->co))
    return fail(err, MT_ERR_SHAPE, "%s: expected bias [%lld], got a %d-d bias of %lld elements", op, (long long)g->co,
                b->layout.ndim, (long long)numel(b->layout));
  if (!is_contiguous(y.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected a contiguous output", op);
  return MT_OK;
}

// conv2d_backward_input: gy, w, dx.
inline mt_status check_backward_input(const char* op, const mt_tensor* args, int32_t nargs, const double* attrs,
                                      int32_t nattrs, Geometry* g, mt_error* err) {
  if (nargs != 3) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 3 tensors (gy, w, dx), got %d", op, nargs);
  mt_status st = common_dtype(op, args, nargs, err);
  if (st != MT_OK) return st;
  const mt_tensor &gy = args[0], &w = args[1], &dx = args[2];
  st = plan(op, dx.layout, w.layout, gy.layout, attrs, nattrs, g, err);
  if (st != MT_OK) return st;
  if (!is_contiguous(dx.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected a contiguous dx", op);
  return MT_OK;
}

// conv2d_backward_weight: gy, x, dw.
inline mt_status check_backward_weight(const char* op, const mt_tensor* args, int32_t nargs, const double* attrs,
                                       int32_t nattrs, Geometry* g, mt_error* err) {
  if (nargs != 3) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 3 tensors (gy, x, dw), got %d", op, nargs);
  mt_status st = common_dtype(op, args, nargs, err);
  if (st != MT_OK) return st;
  const mt_tensor &gy = args[0], &x = args[1], &dw = args[2];
  st = plan(op, x.layout, dw.layout, gy.layout, attrs, nattrs, g, err);
  if (st != MT_OK) return st;
  if (!is_contiguous(dw.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected a contiguous dw", op);
  return MT_OK;
}

}  // namespace conv
}  // namespace mt
