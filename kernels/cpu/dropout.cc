// dropout with a counter-based mask: element i (row-major index of x) is kept when the 24-bit uniform
// from word i % 4 of Philox block offset + i / 4 is >= p, so the mask depends only on (seed, offset,
// shape), never on the thread count. out = x * (kept ? 1 / (1 - p) : 0) in the compute type (float
// for half, rounded once), as PyTorch: a dropped inf or NaN gives NaN.
//
// dropout(x, out, mask), attrs [p, seed, offset]; out and mask (bool) contiguous.
// dropout_backward(grad_out, mask, grad_in), attrs [scale]: grad_in = grad_out * (kept ? scale : 0).
#include <cmath>

#include "dropout.h"
#include "philox.h"
#include "strided.h"

extern "C" mt_status mt_k_dropout(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  MT_TRY(check_dropout(args, attrs, nattrs, err));
  const double p = attrs[0];
  const mt_tensor &x = args[0], &out = args[1];
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
  MT_TRY(check_dropout_backward(args, attrs, nattrs, err));
  const mt_tensor& g = args[0];
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
