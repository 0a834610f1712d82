// log_softmax over the last dim and its backward on the device, with the formulas of
// kernels/cpu/softmax.cc: out = x - max - log(sum(exp(x - max))) in float for float32 and the half types
// (double for float64); grad_in = g - exp(out) * sum(g). One block per row; the sums are combined in
// another order than the CPU's and exp/log come from CUDA's libm, so results agree within rounding.
#include <cmath>

#include "../cpu/nn.h"
#include "block_reduce.cuh"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

template <int N>
struct Rows {
  char* base[N];
  int64_t stride[N];                 // bytes, along the last dim
  int64_t shape[MT_MAX_DIMS];        // leading dims
  int64_t strides[N][MT_MAX_DIMS];   // bytes, leading dims
  int32_t lead;
  int64_t rows, len;
};

template <int N>
Rows<N> rows_of(const mt_tensor* ts) {
  Rows<N> r{};
  const mt_layout& l = ts[0].layout;
  r.lead = l.ndim - 1;
  r.len = l.shape[l.ndim - 1];
  r.rows = r.len == 0 ? 0 : numel(l) / r.len;
  for (int d = 0; d < r.lead; ++d) r.shape[d] = l.shape[d];
  for (int t = 0; t < N; ++t) {
    const int64_t size = itemsize(ts[t].dtype);
    r.base[t] = static_cast<char*>(ts[t].data) + ts[t].layout.offset * size;
    r.stride[t] = ts[t].layout.strides[l.ndim - 1] * size;
    for (int d = 0; d < r.lead; ++d) r.strides[t][d] = ts[t].layout.strides[d] * size;
  }
  return r;
}

template <int N>
__device__ void row_bases(const Rows<N>& r, int64_t row, char** p) {
  for (int t = 0; t < N; ++t) p[t] = r.base[t];
  for (int d = r.lead - 1; d >= 0; --d) {
    const int64_t c = row % r.shape[d];
    row /= r.shape[d];
    for (int t = 0; t < N; ++t) p[t] += c * r.strides[t][d];
  }
}

template <class A>
struct MaxNan {
  __device__ A combine(A a, A b) const { return isnan(b) || b > a ? b : a; }
};
template <class A>
struct Sum {
  __device__ A combine(A a, A b) const { return a + b; }
};

template <class T>
__global__ void log_softmax_kernel(Rows<2> r) {
  using A = cuda::Math<T>;
  for (int64_t row = blockIdx.x; row < r.rows; row += gridDim.x) {
    char* p[2];
    row_bases(r, row, p);
    A m = -INFINITY;
    for (int64_t i = threadIdx.x; i < r.len; i += kThreads) m = MaxNan<A>{}.combine(m, dload<T>(ld<T>(p[0] + i * r.stride[0])));
    m = block_reduce(m, MaxNan<A>{});
    A s = 0;
    for (int64_t i = threadIdx.x; i < r.len; i += kThreads) s += exp(dload<T>(ld<T>(p[0] + i * r.stride[0])) - m);
    const A ls = log(block_reduce(s, Sum<A>{}));
    for (int64_t i = threadIdx.x; i < r.len; i += kThreads)
      st<T>(p[1] + i * r.stride[1], dstore<T>(dload<T>(ld<T>(p[0] + i * r.stride[0])) - m - ls));
  }
}

template <class T>
__global__ void log_softmax_backward_kernel(Rows<3> r) {
  using A = cuda::Math<T>;
  for (int64_t row = blockIdx.x; row < r.rows; row += gridDim.x) {
    char* p[3];
    row_bases(r, row, p);
    A s = 0;
    for (int64_t i = threadIdx.x; i < r.len; i += kThreads) s += dload<T>(ld<T>(p[0] + i * r.stride[0]));
    s = block_reduce(s, Sum<A>{});
    for (int64_t i = threadIdx.x; i < r.len; i += kThreads) {
      const A g = dload<T>(ld<T>(p[0] + i * r.stride[0]));
      const A y = dload<T>(ld<T>(p[1] + i * r.stride[1]));
      st<T>(p[2] + i * r.stride[2], dstore<T>(g - exp(y) * s));
    }
  }
}

mt_status check_rows(mt_error* err, const char* op, const mt_tensor* ts, const char* const* names, int n) {
  for (int i = 0; i < n; ++i) {
    MT_TRY(check_float(err, op, names[i], ts[i]));
    MT_TRY(check_dtype(err, op, names[i], ts[i], ts[0].dtype));
    MT_TRY(check_shape(err, op, names[i], ts[i], ts[0].layout.shape, ts[0].layout.ndim));
  }
  if (ts[0].layout.ndim < 1) return fail(err, MT_ERR_SHAPE, "%s: input has 0 dims (expected at least 1)", op);
  return MT_OK;
}

unsigned grid_for(int64_t rows) { return unsigned(rows < 65536 ? rows : 65536); }

}  // namespace

extern "C" mt_status mt_cuda_k_log_softmax(mt_tensor* args, int32_t, const double*, int32_t nattrs, mt_error* err) {
  const char* op = "log_softmax";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const char* names[] = {"input", "output"};
  MT_TRY(check_rows(err, op, args, names, 2));
  const Rows<2> r = rows_of<2>(args);
  if (r.rows == 0) return MT_OK;
  dispatch_float(args[0].dtype, [&](auto tag) { log_softmax_kernel<decltype(tag)><<<grid_for(r.rows), kThreads>>>(r); });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_log_softmax_backward(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                                    mt_error* err) {
  const char* op = "log_softmax_backward";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const char* names[] = {"grad_output", "output", "grad_input"};
  MT_TRY(check_rows(err, op, args, names, 3));
  const Rows<3> r = rows_of<3>(args);
  if (r.rows == 0) return MT_OK;
  dispatch_float(args[0].dtype, [&](auto tag) {
    log_softmax_backward_kernel<decltype(tag)><<<grid_for(r.rows), kThreads>>>(r);
  });
  return MT_OK;
}
