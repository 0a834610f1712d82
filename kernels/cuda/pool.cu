// The 2-D pooling kernels on the device, with the argument checks and window rules of
// kernels/cpu/pool_avg.cc and pool_max.cc (pool.h). Every sum is made in the CPU's order, so the
// results are the CPU's bits: the forwards run one thread per output element through the window in
// row order; the average backwards run one thread per input element, gathering the windows that cover
// it in the order the CPU scatters them; max_pool2d_backward, whose indices may point anywhere, runs
// one thread per plane scattering in output order (no atomics: the result is reproducible).
#include <cmath>

#include "../cpu/pool.h"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

// A 4-D view in bytes from the storage base at its offset.
struct View4 {
  char* p;
  int64_t s[4];
};

View4 view4(const mt_tensor& t) {
  const int64_t size = itemsize(t.dtype);
  View4 v{static_cast<char*>(t.data) + t.layout.offset * size, {}};
  for (int d = 0; d < 4; ++d) v.s[d] = t.layout.strides[d] * size;
  return v;
}

__device__ __forceinline__ char* at4(const View4& v, int64_t n, int64_t c, int64_t i, int64_t j) {
  return v.p + n * v.s[0] + c * v.s[1] + i * v.s[2] + j * v.s[3];
}

// Splits a linear index over (N, C, H, W).
__device__ __forceinline__ void split4(int64_t e, int64_t c_, int64_t h_, int64_t w_, int64_t* n, int64_t* c,
                                       int64_t* i, int64_t* j) {
  *j = e % w_;
  e /= w_;
  *i = e % h_;
  e /= h_;
  *c = e % c_;
  *n = e / c_;
}

#define GRID_STRIDE(e, total) \
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < (total); e += int64_t(gridDim.x) * blockDim.x)

// ---- avg_pool2d

struct Window {
  int64_t h0, h1, w0, w1, divisor;
};

// avg_window of pool_avg.cc.
__device__ Window avg_window(const Pool2d& p, bool include_pad, int64_t h, int64_t w, int64_t i, int64_t j) {
  int64_t h0 = i * p.sh - p.ph, w0 = j * p.sw - p.pw;
  int64_t h1 = min(h0 + p.kh, h + p.ph), w1 = min(w0 + p.kw, w + p.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = max(h0, int64_t(0)), w0 = max(w0, int64_t(0));
  h1 = min(h1, h), w1 = min(w1, w);
  if (h0 >= h1 || w0 >= w1) return {h0, h0, w0, w0, 0};
  return {h0, h1, w0, w1, include_pad ? padded : (h1 - h0) * (w1 - w0)};
}

template <class T>
__global__ void avg_pool_kernel(View4 x, View4 out, Pool2d p, bool include_pad, int64_t nn, int64_t cc, int64_t h,
                                int64_t w, int64_t oh, int64_t ow) {
  using A = Math<T>;
  GRID_STRIDE(e, nn * cc * oh * ow) {
    int64_t n, c, i, j;
    split4(e, cc, oh, ow, &n, &c, &i, &j);
    const Window win = avg_window(p, include_pad, h, w, i, j);
    A sum = 0;
    for (int64_t y = win.h0; y < win.h1; ++y)
      for (int64_t x_ = win.w0; x_ < win.w1; ++x_) sum += dload<T>(ld<T>(at4(x, n, c, y, x_)));
    st<T>(at4(out, n, c, i, j), dstore<T>(win.divisor == 0 ? A(0) : sum / A(win.divisor)));
  }
}

// The outputs i whose unclipped window [i*s - pad, i*s - pad + k) can hold y; the exact test is the window's.
__device__ __forceinline__ void candidates(int64_t y, int64_t k, int64_t s, int64_t pad, int64_t o, int64_t* lo,
                                           int64_t* hi) {
  const int64_t num = y + pad - k + 1;
  *lo = num <= 0 ? 0 : (num + s - 1) / s;
  *hi = min(o - 1, (y + pad) / s);
}

template <class T>
__global__ void avg_pool_backward_kernel(View4 g, View4 gi, Pool2d p, bool include_pad, int64_t nn, int64_t cc,
                                         int64_t h, int64_t w, int64_t oh, int64_t ow) {
  using A = Math<T>;
  GRID_STRIDE(e, nn * cc * h * w) {
    int64_t n, c, y, x_;
    split4(e, cc, h, w, &n, &c, &y, &x_);
    int64_t i0, i1, j0, j1;
    candidates(y, p.kh, p.sh, p.ph, oh, &i0, &i1);
    candidates(x_, p.kw, p.sw, p.pw, ow, &j0, &j1);
    A acc = 0;
    for (int64_t i = i0; i <= i1; ++i)
      for (int64_t j = j0; j <= j1; ++j) {
        const Window win = avg_window(p, include_pad, h, w, i, j);
        if (win.divisor == 0 || y < win.h0 || y >= win.h1 || x_ < win.w0 || x_ >= win.w1) continue;
        acc += dload<T>(ld<T>(at4(g, n, c, i, j))) / A(win.divisor);
      }
    st<T>(at4(gi, n, c, y, x_), dstore<T>(acc));
  }
}


// ---- adaptive_avg_pool2d: window o covers [floor(o*I/O), ceil((o+1)*I/O)).

__device__ __forceinline__ int64_t start_index(int64_t o, int64_t out, int64_t in) { return (o * in) / out; }
__device__ __forceinline__ int64_t end_index(int64_t o, int64_t out, int64_t in) {
  return ((o + 1) * in + out - 1) / out;
}

template <class T>
__global__ void adaptive_kernel(View4 x, View4 out, int64_t nn, int64_t cc, int64_t h, int64_t w, int64_t oh,
                                int64_t ow) {
  using A = Math<T>;
  GRID_STRIDE(e, nn * cc * oh * ow) {
    int64_t n, c, i, j;
    split4(e, cc, oh, ow, &n, &c, &i, &j);
    const int64_t h0 = start_index(i, oh, h), h1 = end_index(i, oh, h);
    const int64_t w0 = start_index(j, ow, w), w1 = end_index(j, ow, w);
    A sum = 0;
    for (int64_t y = h0; y < h1; ++y)
      for (int64_t x_ = w0; x_ < w1; ++x_) sum += dload<T>(ld<T>(at4(x, n, c, y, x_)));
    st<T>(at4(out, n, c, i, j), dstore<T>(sum / A(h1 - h0) / A(w1 - w0)));
  }
}

// The first output whose window ends after y (windows start and end in non-decreasing order).
__device__ __forceinline__ int64_t first_cover(int64_t y, int64_t out, int64_t in) {
  int64_t o = (y * out) / in;
  while (o > 0 && end_index(o - 1, out, in) > y) --o;
  while (o < out && end_index(o, out, in) <= y) ++o;
  return o;
}

template <class T>
__global__ void adaptive_backward_kernel(View4 g, View4 gi, int64_t nn, int64_t cc, int64_t h, int64_t w, int64_t oh,
                                         int64_t ow) {
  using A = Math<T>;
  GRID_STRIDE(e, nn * cc * h * w) {
    int64_t n, c, y, x_;
    split4(e, cc, h, w, &n, &c, &y, &x_);
    const int64_t i0 = first_cover(y, oh, h), j0 = first_cover(x_, ow, w);
    A acc = 0;
    for (int64_t i = i0; i < oh && start_index(i, oh, h) <= y; ++i) {
      const int64_t dh = end_index(i, oh, h) - start_index(i, oh, h);
      for (int64_t j = j0; j < ow && start_index(j, ow, w) <= x_; ++j) {
        const int64_t dw = end_index(j, ow, w) - start_index(j, ow, w);
        acc += dload<T>(ld<T>(at4(g, n, c, i, j))) / A(dh) / A(dw);
      }
    }
    st<T>(at4(gi, n, c, y, x_), dstore<T>(acc));
  }
}


// ---- max_pool2d: NaN wins (the last NaN of a window), padding never wins; indices h * W + w.

template <class T>
__global__ void max_pool_kernel(View4 x, View4 out, View4 idx, Pool2d p, int64_t nn, int64_t cc, int64_t h, int64_t w,
                                int64_t oh, int64_t ow) {
  using A = Math<T>;
  GRID_STRIDE(e, nn * cc * oh * ow) {
    int64_t n, c, i, j;
    split4(e, cc, oh, ow, &n, &c, &i, &j);
    int64_t h0 = i * p.sh - p.ph;
    const int64_t h1 = min(h0 + (p.kh - 1) * p.dh + 1, h);
    while (h0 < 0) h0 += p.dh;
    int64_t w0 = j * p.sw - p.pw;
    const int64_t w1 = min(w0 + (p.kw - 1) * p.dw + 1, w);
    while (w0 < 0) w0 += p.dw;
    A best = -INFINITY;
    int64_t at = h0 * w + w0;
    for (int64_t y = h0; y < h1; y += p.dh)
      for (int64_t x_ = w0; x_ < w1; x_ += p.dw) {
        const A v = dload<T>(ld<T>(at4(x, n, c, y, x_)));
        if (v > best || isnan(v)) {
          best = v;
          at = y * w + x_;
        }
      }
    st<T>(at4(out, n, c, i, j), dstore<T>(best));
    st<int32_t>(at4(idx, n, c, i, j), int32_t(at));
  }
}

// One thread per plane scatters in output order into `acc` (grad_input itself for float32/float64, a
// float scratch plane set for the half types), so the sums are the CPU's. A bad index is recorded in
// `bad` (any one of them, as the CPU's threads report any one).
template <class T>
__global__ void max_pool_backward_kernel(View4 g, View4 idx, Math<T>* acc, int64_t planes, int64_t cc, int64_t oh,
                                         int64_t ow, int64_t hw, long long* bad) {
  using A = Math<T>;
  GRID_STRIDE(plane, planes) {
    const int64_t n = plane / cc, c = plane % cc;
    A* dst = acc + plane * hw;
    for (int64_t k = 0; k < hw; ++k) dst[k] = A(0);
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t k = ld<int32_t>(at4(idx, n, c, i, j));
        if (k < 0 || k >= hw) {
          bad[0] = 1;
          bad[1] = k;
          continue;
        }
        dst[k] += dload<T>(ld<T>(at4(g, n, c, i, j)));
      }
  }
}

template <class T>
__global__ void round_kernel(const float* acc, T* out, int64_t total) {
  GRID_STRIDE(e, total) out[e] = dstore<T>(acc[e]);
}

}  // namespace

extern "C" mt_status mt_cuda_k_avg_pool2d(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                          mt_error* err) {
  const char* op = "avg_pool2d";
  Pool2d p;
  bool include_pad;
  int64_t oh, ow;
  MT_TRY(check_avg_pool2d(err, op, args, attrs, nattrs, &p, &include_pad, &oh, &ow));
  const mt_tensor &x = args[0], &out = args[1];
  const int64_t nn = x.layout.shape[0], cc = x.layout.shape[1], h = x.layout.shape[2], w = x.layout.shape[3];
  const int64_t total = nn * cc * oh * ow;
  if (total == 0) return MT_OK;
  dispatch_float(x.dtype, [&](auto tag) {
    avg_pool_kernel<decltype(tag)>
        <<<blocks_for(total), kThreads>>>(view4(x), view4(out), p, include_pad, nn, cc, h, w, oh, ow);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_avg_pool2d_backward(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                                   mt_error* err) {
  const char* op = "avg_pool2d_backward";
  Pool2d p;
  bool include_pad;
  int64_t oh, ow;
  MT_TRY(check_avg_pool2d_backward(err, op, args, attrs, nattrs, &p, &include_pad, &oh, &ow));
  const mt_tensor &g = args[0], &gi = args[1];
  const int64_t nn = gi.layout.shape[0], cc = gi.layout.shape[1], h = gi.layout.shape[2], w = gi.layout.shape[3];
  const int64_t total = nn * cc * h * w;
  if (total == 0) return MT_OK;
  dispatch_float(g.dtype, [&](auto tag) {
    avg_pool_backward_kernel<decltype(tag)>
        <<<blocks_for(total), kThreads>>>(view4(g), view4(gi), p, include_pad, nn, cc, h, w, oh, ow);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_adaptive_avg_pool2d(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                                   mt_error* err) {
  const char* op = "adaptive_avg_pool2d";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const mt_tensor &x = args[0], &out = args[1];
  MT_TRY(check_adaptive(err, op, out, "output", x, "input"));
  const int64_t nn = x.layout.shape[0], cc = x.layout.shape[1], h = x.layout.shape[2], w = x.layout.shape[3];
  const int64_t oh = out.layout.shape[2], ow = out.layout.shape[3];
  const int64_t total = nn * cc * oh * ow;
  if (total == 0) return MT_OK;
  dispatch_float(x.dtype, [&](auto tag) {
    adaptive_kernel<decltype(tag)><<<blocks_for(total), kThreads>>>(view4(x), view4(out), nn, cc, h, w, oh, ow);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_adaptive_avg_pool2d_backward(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                                            mt_error* err) {
  const char* op = "adaptive_avg_pool2d_backward";
  MT_TRY(check_attrs(err, op, nattrs, 0));
  const mt_tensor &g = args[0], &gi = args[1];
  MT_TRY(check_adaptive(err, op, g, "grad_output", gi, "grad_input"));
  MT_TRY(check_scratch_output(err, op, gi));
  const int64_t nn = gi.layout.shape[0], cc = gi.layout.shape[1], h = gi.layout.shape[2], w = gi.layout.shape[3];
  const int64_t oh = g.layout.shape[2], ow = g.layout.shape[3];
  const int64_t total = nn * cc * h * w;
  if (total == 0) return MT_OK;
  // With an empty grad_output (oh or ow 0) no window covers anything: the gradient is zero, as the cpu's.
  dispatch_float(g.dtype, [&](auto tag) {
    adaptive_backward_kernel<decltype(tag)><<<blocks_for(total), kThreads>>>(view4(g), view4(gi), nn, cc, h, w, oh, ow);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_max_pool2d(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                          mt_error* err) {
  const char* op = "max_pool2d";
  Pool2d p;
  int64_t oh, ow;
  MT_TRY(check_max_pool2d(err, op, args, attrs, nattrs, &p, &oh, &ow));
  const mt_tensor &x = args[0], &out = args[1], &idx = args[2];
  const int64_t nn = x.layout.shape[0], cc = x.layout.shape[1], h = x.layout.shape[2], w = x.layout.shape[3];
  const int64_t total = nn * cc * oh * ow;
  if (total == 0) return MT_OK;
  dispatch_float(x.dtype, [&](auto tag) {
    max_pool_kernel<decltype(tag)>
        <<<blocks_for(total), kThreads>>>(view4(x), view4(out), view4(idx), p, nn, cc, h, w, oh, ow);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_max_pool2d_backward(mt_tensor* args, int32_t, const double*, int32_t nattrs,
                                                   mt_error* err) {
  const char* op = "max_pool2d_backward";
  const mt_tensor &g = args[0], &idx = args[1], &gi = args[2];
  MT_TRY(check_max_pool_backward(err, op, nattrs, g, idx, gi));
  const int64_t planes = g.layout.shape[0] * g.layout.shape[1];
  const int64_t oh = g.layout.shape[2], ow = g.layout.shape[3], h = gi.layout.shape[2], w = gi.layout.shape[3];
  const int64_t total = planes * h * w;
  if (planes == 0) return MT_OK;
  const int32_t device = g.device - MT_DEVICE_CUDA;
  const bool half = g.dtype == MT_FLOAT16 || g.dtype == MT_BFLOAT16;
  // [flag, index] of a bad index, then (half types) the float planes.
  const size_t bad_bytes = 2 * sizeof(long long);
  const size_t bytes = bad_bytes + (half ? size_t(total) * sizeof(float) : 0);
  char* scratch = nullptr;
  MT_TRY(mt_cuda_alloc(device, bytes, reinterpret_cast<void**>(&scratch), err));
  long long* bad = reinterpret_cast<long long*>(scratch);
  cudaError_t e = cudaMemsetAsync(bad, 0, bad_bytes, 0);
  if (e == cudaSuccess) {
    // grad_input is contiguous (checked): plane k starts at element k * h * w of its view.
    char* gip = static_cast<char*>(gi.data) + gi.layout.offset * itemsize(gi.dtype);
    const unsigned grid = blocks_for(planes);
    dispatch_float(g.dtype, [&](auto tag) {
      using T = decltype(tag);
      using A = Math<T>;
      A* acc = half ? reinterpret_cast<A*>(scratch + bad_bytes) : reinterpret_cast<A*>(gip);
      max_pool_backward_kernel<T><<<grid, kThreads>>>(view4(g), view4(idx), acc, planes, g.layout.shape[1], oh, ow,
                                                      h * w, bad);
      if constexpr (std::is_same_v<A, float> && !std::is_same_v<T, float>)
        if (total > 0)
          round_kernel<T><<<blocks_for(total), kThreads>>>(acc, reinterpret_cast<T*>(gip), total);
    });
    e = cudaGetLastError();
  }
  long long found[2] = {0, 0};
  if (e == cudaSuccess) e = cudaMemcpy(found, bad, bad_bytes, cudaMemcpyDeviceToHost);
  mt_cuda_free(device, scratch, bytes);
  if (e != cudaSuccess) return status_of(e, op, err);
  if (found[0] != 0)
    return fail(err, MT_ERR_INVALID_ARGUMENT,
                "%s: index %lld is out of range for an input plane of %lld x %lld (expected 0..%lld)", op, found[1],
                (long long)h, (long long)w, (long long)(h * w - 1));
  return MT_OK;
}
