// The matmul kernel's argument checks (a [..., M, K], b [..., K, N], out [..., M, N], one dtype, one
// rank, equal batch dims), shared by the CPU kernel (gemm.cc) and the CUDA one (cuda/matmul.cu) so that
// both refuse the same calls with the same messages. Header only: both compilers include it.
#pragma once

#include "kernel.h"

namespace mt {

struct MatmulShape {
  int nd;
  int64_t m, n, k;
};

inline mt_status check_matmul(const mt_tensor* args, int32_t nargs, MatmulShape* s, mt_error* err) {
  if (nargs != 3) return fail(err, MT_ERR_INVALID_ARGUMENT, "matmul: expected 3 tensors (a, b, out), got %d", nargs);
  const mt_tensor &a = args[0], &b = args[1], &c = args[2];
  if (a.dtype != c.dtype || b.dtype != c.dtype)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "matmul: expected one dtype, got %s, %s -> %s", dtype_name(a.dtype),
                dtype_name(b.dtype), dtype_name(c.dtype));
  if (c.dtype != MT_FLOAT32 && c.dtype != MT_FLOAT16 && c.dtype != MT_BFLOAT16 && c.dtype != MT_FLOAT64)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "matmul: expected float32, float16, bfloat16 or float64, got %s",
                dtype_name(c.dtype));
  const int nd = c.layout.ndim;
  if (nd < 2 || a.layout.ndim != nd || b.layout.ndim != nd)
    return fail(err, MT_ERR_SHAPE, "matmul: expected operands of one rank >= 2, got %d, %d -> %d", a.layout.ndim,
                b.layout.ndim, nd);
  const mt_layout &la = a.layout, &lb = b.layout, &lc = c.layout;
  for (int d = 0; d < nd - 2; ++d)
    if (la.shape[d] != lc.shape[d] || lb.shape[d] != lc.shape[d])
      return fail(err, MT_ERR_SHAPE, "matmul: batch dim %d is %lld and %lld, expected %lld", d,
                  (long long)la.shape[d], (long long)lb.shape[d], (long long)lc.shape[d]);
  const int64_t m = lc.shape[nd - 2], n = lc.shape[nd - 1], k = la.shape[nd - 1];
  if (la.shape[nd - 2] != m || lb.shape[nd - 1] != n || lb.shape[nd - 2] != k)
    return fail(err, MT_ERR_SHAPE, "matmul: [%lld, %lld] x [%lld, %lld] cannot give [%lld, %lld]",
                (long long)la.shape[nd - 2], (long long)k, (long long)lb.shape[nd - 2], (long long)lb.shape[nd - 1],
                (long long)m, (long long)n);
  *s = MatmulShape{nd, m, n, k};
  return MT_OK;
}

}  // namespace mt
