// cross_entropy and its backward on the device, with the semantics of kernels/cpu/cross_entropy.cc:
// loss_i = -(x_it - max_i - log(sum_c exp(x_ic - max_i))) in float for float32/half logits (double for
// float64), the loss float32 (float64 for float64 logits), reduction 0 none / 1 mean over the
// non-ignored targets / 2 sum, ignored rows give loss 0 and gradient 0. One block per row; the mean and
// the sum add the per-row losses in double in one block, in a fixed order, so a result is reproducible.
// exp/log come from CUDA's libm and the row sums are paired differently from the CPU's: results agree
// within rounding.
//
// The targets are range-checked on the host, as on the cpu, so that a bad target is the same error
// message: the target view is copied back once (a synchronisation, paid once per call).
#include <cmath>
#include <vector>

#include "../cpu/cross_entropy.h"
#include "block_reduce.cuh"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

mt_status check_ce(mt_error* err, const char* op, const double* attrs, int32_t nattrs, const mt_tensor& logits,
                   const mt_tensor& target, Ce* ce) {
  MT_TRY(check_ce_args(err, op, attrs, nattrs, logits, target, ce));
  if (ce->n == 0) return MT_OK;
  const int64_t ts = target.layout.strides[0];
  std::vector<int32_t> t;
  try {
    t.resize(size_t((ce->n - 1) * ts + 1));
  } catch (const std::bad_alloc&) {
    return fail(err, MT_ERR_OUT_OF_MEMORY, "%s: cannot allocate %lld targets on the host", op, (long long)ce->n);
  }
  const cudaError_t e = cudaMemcpy(t.data(), base_of<int32_t>(target), t.size() * sizeof(int32_t),
                                   cudaMemcpyDeviceToHost);
  if (e != cudaSuccess) return status_of(e, op, err);
  return count_targets(err, op, t.data(), ts, ce);
}

struct Geom {
  const char* x;  // logits at the view offset
  char* gx;       // grad_logits at the view offset (backward)
  const int32_t* t;
  const char* g;  // grad_loss at the view offset (backward)
  int64_t s0, s1, g0, g1, ts, gs;  // x, grad_logits strides in bytes; target, grad_loss in elements
  int64_t n, c, ignore, count;
  int reduction;
  bool g_double;
};

template <class A>
struct MaxNan {
  __device__ A combine(A a, A b) const { return isnan(b) || b > a ? b : a; }
};
template <class A>
struct Sum {
  __device__ A combine(A a, A b) const { return a + b; }
};

// max and log(sum(exp(x - max))) of a row, every thread of the block gets both.
template <class T, class A>
__device__ void row_stats(const char* row, int64_t stride, int64_t c, A* m, A* ls) {
  A mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < c; j += kThreads) mx = MaxNan<A>{}.combine(mx, dload<T>(ld<T>(row + j * stride)));
  mx = block_reduce(mx, MaxNan<A>{});
  A s = 0;
  for (int64_t j = threadIdx.x; j < c; j += kThreads) s += exp(dload<T>(ld<T>(row + j * stride)) - mx);
  *m = mx;
  *ls = log(block_reduce(s, Sum<A>{}));
}

// Per-row losses: into `loss` directly (reduction none) or into the double scratch `rows`.
template <class T>
__global__ void ce_rows_kernel(Geom g, char* loss, int64_t loss_stride, double* rows) {
  using A = Math<T>;
  for (int64_t i = blockIdx.x; i < g.n; i += gridDim.x) {
    const int64_t k = g.t[i * g.ts];
    double v = 0;
    if (k != g.ignore) {
      const char* row = g.x + i * g.s0;
      A m, ls;
      row_stats<T, A>(row, g.s1, g.c, &m, &ls);
      v = double(-(dload<T>(ld<T>(row + k * g.s1)) - m - ls));
    }
    if (threadIdx.x != 0) continue;
    if (rows != nullptr) rows[i] = v;
    else if constexpr (std::is_same_v<T, double>) st<double>(loss + i * loss_stride, v);
    else st<float>(loss + i * loss_stride, float(v));
  }
}

// One block adds the per-row losses: each thread a strided slice in order, then a fixed tree.
__global__ void ce_total_kernel(const double* rows, int64_t n, int reduction, int64_t count, char* loss,
                                bool loss_double) {
  double s = 0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) s += rows[i];
  s = block_reduce(s, Sum<double>{});
  if (threadIdx.x != 0) return;
  const double v = reduction == 1 ? s / double(count) : s;
  if (loss_double) st<double>(loss, v);
  else st<float>(loss, float(v));
}

template <class T>
__global__ void ce_backward_kernel(Geom g) {
  using A = Math<T>;
  for (int64_t i = blockIdx.x; i < g.n; i += gridDim.x) {
    const int64_t k = g.t[i * g.ts];
    char* out = g.gx + i * g.g0;
    if (k == g.ignore) {
      for (int64_t j = threadIdx.x; j < g.c; j += kThreads) st<T>(out + j * g.g1, dstore<T>(A(0)));
      continue;
    }
    const int64_t go = g.reduction == 0 ? i * g.gs : 0;
    A scale = g.g_double ? A(reinterpret_cast<const double*>(g.g)[go]) : A(reinterpret_cast<const float*>(g.g)[go]);
    if (g.reduction == 1) scale /= A(g.count);
    const char* row = g.x + i * g.s0;
    A m, ls;
    row_stats<T, A>(row, g.s1, g.c, &m, &ls);
    for (int64_t j = threadIdx.x; j < g.c; j += kThreads) {
      const A p = exp(dload<T>(ld<T>(row + j * g.s1)) - m - ls);
      st<T>(out + j * g.g1, dstore<T>(p * scale - (j == k ? scale : A(0))));
    }
  }
}

Geom geom_of(const mt_tensor& x, const mt_tensor& target, const Ce& ce) {
  Geom g{};
  const int64_t size = itemsize(x.dtype);
  g.x = static_cast<const char*>(x.data) + x.layout.offset * size;
  g.s0 = x.layout.strides[0] * size;
  g.s1 = x.layout.strides[1] * size;
  g.t = base_of<int32_t>(target);
  g.ts = target.layout.strides[0];
  g.n = ce.n;
  g.c = ce.c;
  g.ignore = ce.ignore;
  g.count = ce.count;
  g.reduction = ce.reduction;
  return g;
}

unsigned grid_for(int64_t rows) { return unsigned(rows < 65536 ? rows : 65536); }

}  // namespace

extern "C" mt_status mt_cuda_k_cross_entropy(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                             mt_error* err) {
  const char* op = "cross_entropy";
  const mt_tensor &x = args[0], &target = args[1], &loss = args[2];
  Ce ce;
  MT_TRY(check_ce(err, op, attrs, nattrs, x, target, &ce));
  MT_TRY(check_dtype(err, op, "loss", loss, loss_dtype(x.dtype)));
  const int64_t want[1] = {ce.n};
  MT_TRY(check_shape(err, op, "loss", loss, want, ce.reduction == 0 ? 1 : 0));
  const bool loss_double = loss.dtype == MT_FLOAT64;
  char* lp = static_cast<char*>(loss.data) + loss.layout.offset * itemsize(loss.dtype);
  const Geom g = geom_of(x, target, ce);
  if (ce.reduction == 0) {
    if (ce.n == 0) return MT_OK;
    const int64_t ls = loss.layout.strides[0] * itemsize(loss.dtype);
    dispatch_float(x.dtype, [&](auto tag) {
      ce_rows_kernel<decltype(tag)><<<grid_for(ce.n), kThreads>>>(g, lp, ls, nullptr);
    });
    return MT_OK;
  }
  const int32_t device = x.device - MT_DEVICE_CUDA;
  double* rows = nullptr;
  const size_t bytes = size_t(ce.n > 0 ? ce.n : 1) * sizeof(double);
  MT_TRY(mt_cuda_alloc(device, bytes, reinterpret_cast<void**>(&rows), err));
  if (ce.n > 0)
    dispatch_float(x.dtype, [&](auto tag) {
      ce_rows_kernel<decltype(tag)><<<grid_for(ce.n), kThreads>>>(g, nullptr, 0, rows);
    });
  ce_total_kernel<<<1, kThreads>>>(rows, ce.n, ce.reduction, ce.count, lp, loss_double);
  // Stream-ordered: a later allocation of this block runs its kernels after these on stream 0.
  mt_cuda_free(device, rows, bytes);
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_cross_entropy_backward(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                                      mt_error* err) {
  const char* op = "cross_entropy_backward";
  const mt_tensor &gl = args[0], &x = args[1], &target = args[2], &gx = args[3];
  Ce ce;
  MT_TRY(check_ce(err, op, attrs, nattrs, x, target, &ce));
  MT_TRY(check_dtype(err, op, "grad_loss", gl, loss_dtype(x.dtype)));
  const int64_t want[1] = {ce.n};
  MT_TRY(check_shape(err, op, "grad_loss", gl, want, ce.reduction == 0 ? 1 : 0));
  MT_TRY(check_dtype(err, op, "grad_logits", gx, x.dtype));
  MT_TRY(check_shape(err, op, "grad_logits", gx, x.layout.shape, 2));
  if (ce.n == 0) return MT_OK;
  Geom g = geom_of(x, target, ce);
  const int64_t size = itemsize(x.dtype);
  g.gx = static_cast<char*>(gx.data) + gx.layout.offset * size;
  g.g0 = gx.layout.strides[0] * size;
  g.g1 = gx.layout.strides[1] * size;
  g.g = static_cast<const char*>(gl.data) + gl.layout.offset * itemsize(gl.dtype);
  g.gs = ce.reduction == 0 ? gl.layout.strides[0] : 0;
  g.g_double = gl.dtype == MT_FLOAT64;
  dispatch_float(x.dtype, [&](auto tag) { ce_backward_kernel<decltype(tag)><<<grid_for(ce.n), kThreads>>>(g); });
  return MT_OK;
}
