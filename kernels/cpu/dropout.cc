// dropout with a counter-based mask: element i (row-major index of x) is kept when the 24-bit uniform
// from word i % 4 of Philox block offset + i / 4 is >= p, so the mask depends only on (seed, offset,
// shape), never on the thread count. out = x * (kept ? 1 / (1 - p) : 0) in the compute type (float
// for half, rounded once), as PyTorch: a dropped inf or NaN gives NaN.
//
// dropout(x, out, mask), attrs [p, seed, offset]; out and mask (bool) contiguous.
// dropout_backward(grad_out, mask, grad_in), attrs [scale]: grad_in = grad_out * (kept ? scale : 0).
#include <cmath>

#include "nn.h"
#include "philox.h"
#include "strided.h"

extern "C" mt_status mt_k_dropout(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  const char* op = "dropout";
  MT_TRY(check_attrs(err, op, nattrs, 3));
  const double p = attrs[0];
  if (!(p >= 0 && p < 1)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: p must be in [0, 1), got %g", op, p);
  MT_TRY(check_int_attr(err, op, "seed", attrs[1], 0, 0x1p53));
  MT_TRY(check_int_attr(err, op, "offset", attrs[2], 0, 0x1p53));
  const mt_tensor &x = args[0], &out = args[1], &mask = args[2];
  MT_TRY(check_float(err, op, "input", x));
  MT_TRY(check_dtype(err, op, "output", out, x.dtype));
  MT_TRY(check_dtype(err, op, "mask", mask, MT_BOOL));
  MT_TRY(check_shape(err, op, "output", out, x.layout.shape, x.layout.ndim));
  MT_TRY(check_shape(err, op, "mask", mask, x.layout.shape, x.layout.ndim));
  if (!is_contiguous(out.layout) || !is_contiguous(mask.layout))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: output and mask must be contiguous", op);
  const uint64_t seed = uint64_t(attrs[1]), offset = uint64_t(attrs[2]);
  const double scale = 1.0 / (1.0 - p);
  dispatch_float(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const A keep_scale = A(scale);
    mt_tensor* ts[3] = {&args[0], &args[1], &args[2]};
    const int64_t sizes[3] = {int64_t(sizeof(T)), int64_t(sizeof(T)), 1};
    char* out_base = static_cast<char*>(out.data) + out.layout.offset * int64_t(sizeof(T));
    Rows<3>(ts, sizes).run([&](char** ptr, const int64_t* st, int64_t n) {
      // out is contiguous, so its position is the element's row-major index.
      const int64_t first = (ptr[1] - out_base) / int64_t(sizeof(T));
      Block blk = philox(seed, offset + uint64_t(first / 4));
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = first + k;
        if (k > 0 && i % 4 == 0) blk = philox(seed, offset + uint64_t(i / 4));
        const bool keep = double(blk.w[i % 4] >> 8) * 0x1p-24 >= p;
        const T v = *reinterpret_cast<const T*>(ptr[0] + k * st[0]);
        *reinterpret_cast<T*>(ptr[1] + k * st[1]) = store<T>(load(v) * (keep ? keep_scale : A(0)));
        *reinterpret_cast<bool*>(ptr[2] + k * st[2]) = keep;
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_dropout_backward(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                           mt_error* err) {
  using namespace mt;
  const char* op = "dropout_backward";
  MT_TRY(check_attrs(err, op, nattrs, 1));
  if (!(attrs[0] >= 1) || !std::isfinite(attrs[0]))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: scale must be finite and >= 1, got %g", op, attrs[0]);
  const mt_tensor &g = args[0], &mask = args[1], &gi = args[2];
  MT_TRY(check_float(err, op, "grad_output", g));
  MT_TRY(check_dtype(err, op, "mask", mask, MT_BOOL));
  MT_TRY(check_dtype(err, op, "grad_input", gi, g.dtype));
  MT_TRY(check_shape(err, op, "mask", mask, g.layout.shape, g.layout.ndim));
  MT_TRY(check_shape(err, op, "grad_input", gi, g.layout.shape, g.layout.ndim));
  dispatch_float(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = typename OpMath<T>::type;
    const A scale = A(attrs[0]);
    mt_tensor* ts[3] = {&args[0], &args[1], &args[2]};
    const int64_t sizes[3] = {int64_t(sizeof(T)), 1, int64_t(sizeof(T))};
    Rows<3>(ts, sizes).run([&](char** ptr, const int64_t* st, int64_t n) {
      for (int64_t k = 0; k < n; ++k) {
        const bool keep = *reinterpret_cast<const bool*>(ptr[1] + k * st[1]);
        const T v = *reinterpret_cast<const T*>(ptr[0] + k * st[0]);
        *reinterpret_cast<T*>(ptr[2] + k * st[2]) = store<T>(load(v) * (keep ? scale : A(0)));
      }
    });
  });
  return MT_OK;
}
