// batch_norm and its backward on the device, with the semantics and argument checks of
// kernels/cpu/batch_norm.cc: statistics accumulate in double, the per-element transform runs in float
// (double for float64 inputs) with the per-channel coefficients computed in double, and the output is
// rounded once to the input's dtype; weight, bias and the running statistics may be of another float
// dtype (float32 with half inputs). One block per channel: the sums are block reductions in a fixed
// order, so a result is reproducible, and differ from the CPU's sequential sums only by rounding.
#include <cmath>

#include "../cpu/batch_norm.h"
#include "block_reduce.cuh"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

// A per-channel (C) float tensor of any float dtype.
struct Param {
  char* p;  // at the view offset
  int64_t stride;  // elements
  int32_t dtype;
};

Param param_of(const mt_tensor* t) {
  if (t == nullptr) return Param{nullptr, 0, MT_FLOAT32};
  return Param{static_cast<char*>(t->data) + t->layout.offset * itemsize(t->dtype), t->layout.strides[0], t->dtype};
}

__device__ double read_param(const Param& q, int64_t ch) {
  const int64_t i = ch * q.stride;
  switch (q.dtype) {
    case MT_FLOAT32:
      return reinterpret_cast<const float*>(q.p)[i];
    case MT_FLOAT16:
      return dev_half_to_float(reinterpret_cast<const f16*>(q.p)[i]);
    case MT_BFLOAT16:
      return dev_half_to_float(reinterpret_cast<const bf16*>(q.p)[i]);
    default:
      return reinterpret_cast<const double*>(q.p)[i];
  }
}

// write_any of nn.h: float32 and the half types from the value rounded to float first.
__device__ void write_param(const Param& q, int64_t ch, double v) {
  const int64_t i = ch * q.stride;
  switch (q.dtype) {
    case MT_FLOAT32:
      reinterpret_cast<float*>(q.p)[i] = float(v);
      break;
    case MT_FLOAT16:
      reinterpret_cast<f16*>(q.p)[i] = dev_float_to_f16(float(v));
      break;
    case MT_BFLOAT16:
      reinterpret_cast<bf16*>(q.p)[i] = dev_float_to_bf16(float(v));
      break;
    default:
      reinterpret_cast<double*>(q.p)[i] = v;
  }
}

// The elements of one channel of K same-shape tensors: every dim but dim 1, in row-major order.
template <int K>
struct Channels {
  char* base[K];
  int64_t ch_stride[K];              // bytes
  int64_t shape[MT_MAX_DIMS];        // the dims other than 1
  int64_t strides[K][MT_MAX_DIMS];   // bytes
  int32_t nd;
  int64_t count;                     // elements per channel
};

template <int K>
Channels<K> channels_of(const mt_tensor* const* ts) {
  Channels<K> v{};
  const mt_layout& l = ts[0]->layout;
  v.count = 1;
  for (int d = 0; d < l.ndim; ++d) {
    if (d == 1) continue;
    v.shape[v.nd] = l.shape[d];
    v.count *= l.shape[d];
    for (int t = 0; t < K; ++t) v.strides[t][v.nd] = ts[t]->layout.strides[d] * itemsize(ts[t]->dtype);
    ++v.nd;
  }
  for (int t = 0; t < K; ++t) {
    const int64_t size = itemsize(ts[t]->dtype);
    v.base[t] = static_cast<char*>(ts[t]->data) + ts[t]->layout.offset * size;
    v.ch_stride[t] = ts[t]->layout.strides[1] * size;
  }
  return v;
}

template <int K>
__device__ void element_ptrs(const Channels<K>& v, int64_t ch, int64_t e, char** p) {
  for (int t = 0; t < K; ++t) p[t] = v.base[t] + ch * v.ch_stride[t];
  for (int d = v.nd - 1; d >= 0; --d) {
    const int64_t c = e % v.shape[d];
    e /= v.shape[d];
    for (int t = 0; t < K; ++t) p[t] += c * v.strides[t][d];
  }
}

struct SumD {
  __device__ double combine(double a, double b) const { return a + b; }
};

struct BnArgs {
  Param w, b, rm, rv, sm, si;
  double momentum, eps;
  bool training, batch_stats, has_r;
  int64_t c;
};

template <class T>
__global__ void batch_norm_kernel(Channels<2> v, BnArgs a) {
  using A = Math<T>;
  for (int64_t ch = blockIdx.x; ch < a.c; ch += gridDim.x) {
    char* p[2];
    double mean, invstd;
    if (a.batch_stats) {
      double s = 0;
      for (int64_t e = threadIdx.x; e < v.count; e += kThreads) {
        element_ptrs(v, ch, e, p);
        s += double(dload<T>(ld<T>(p[0])));
      }
      mean = block_reduce(s, SumD{}) / double(v.count);
      double ss = 0;
      for (int64_t e = threadIdx.x; e < v.count; e += kThreads) {
        element_ptrs(v, ch, e, p);
        const double d = double(dload<T>(ld<T>(p[0]))) - mean;
        ss += d * d;
      }
      ss = block_reduce(ss, SumD{});
      invstd = 1.0 / sqrt(ss / double(v.count) + a.eps);
      if (threadIdx.x == 0 && a.training && a.has_r) {
        const double r_m = read_param(a.rm, ch), r_v = read_param(a.rv, ch);
        write_param(a.rm, ch, a.momentum * mean + (1 - a.momentum) * r_m);
        write_param(a.rv, ch, a.momentum * (ss / double(v.count - 1)) + (1 - a.momentum) * r_v);
      }
    } else {
      mean = read_param(a.rm, ch);
      invstd = 1.0 / sqrt(read_param(a.rv, ch) + a.eps);
    }
    if (threadIdx.x == 0) {
      write_param(a.sm, ch, mean);
      write_param(a.si, ch, invstd);
    }
    const double wv = a.w.p ? read_param(a.w, ch) : 1.0;
    const double bv = a.b.p ? read_param(a.b, ch) : 0.0;
    const A alpha = A(invstd * wv), beta = A(bv - mean * (invstd * wv));
    for (int64_t e = threadIdx.x; e < v.count; e += kThreads) {
      element_ptrs(v, ch, e, p);
      st<T>(p[1], dstore<T>(dload<T>(ld<T>(p[0])) * alpha + beta));
    }
  }
}

struct BnBackArgs {
  Param w, sm, si, gw, gb;
  bool training;
  int64_t c;
};

// Channels<3>: x, grad_output, grad_input.
template <class T>
__global__ void batch_norm_backward_kernel(Channels<3> v, BnBackArgs a) {
  using A = Math<T>;
  for (int64_t ch = blockIdx.x; ch < a.c; ch += gridDim.x) {
    char* p[3];
    const double mean = read_param(a.sm, ch), invstd = read_param(a.si, ch);
    const double wv = a.w.p ? read_param(a.w, ch) : 1.0;
    double sum = 0, dot = 0;
    for (int64_t e = threadIdx.x; e < v.count; e += kThreads) {
      element_ptrs(v, ch, e, p);
      const double dy = double(dload<T>(ld<T>(p[1])));
      sum += dy;
      dot += (double(dload<T>(ld<T>(p[0]))) - mean) * dy;
    }
    sum = block_reduce(sum, SumD{});
    dot = block_reduce(dot, SumD{});
    if (threadIdx.x == 0) {
      write_param(a.gw, ch, dot * invstd);
      write_param(a.gb, ch, sum);
    }
    const A scale = A(invstd * wv), am = A(mean);
    const A grad_mean = a.training ? A(sum / double(v.count)) : A(0);
    const A k = a.training ? A(dot * invstd * invstd / double(v.count)) : A(0);
    for (int64_t e = threadIdx.x; e < v.count; e += kThreads) {
      element_ptrs(v, ch, e, p);
      const A dy = dload<T>(ld<T>(p[1]));
      const A r = a.training ? (dy - grad_mean - (dload<T>(ld<T>(p[0])) - am) * k) * scale : dy * scale;
      st<T>(p[2], dstore<T>(r));
    }
  }
}


unsigned grid_for(int64_t channels) { return unsigned(channels < 65536 ? channels : 65536); }

}  // namespace

extern "C" mt_status mt_cuda_k_batch_norm(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                          mt_error* err) {
  const char* op = "batch_norm";
  BatchNormArgs p{};
  MT_TRY(parse_batch_norm(err, op, args, nargs, attrs, nattrs, &p));
  const mt_tensor &x = *p.x, &out = *p.out, &sm = *p.sm, &si = *p.si;
  const mt_tensor *w = p.w, *b = p.b, *rm = p.rm, *rv = p.rv;
  const bool training = p.training, has_r = p.has_r, batch_stats = p.batch_stats;
  const double momentum = p.momentum, eps = p.eps;
  const int64_t c = p.c;
  // An empty batch still writes the per-channel outputs (NaN statistics, as the cpu's 0 / 0).
  if (c == 0) return MT_OK;
  const mt_tensor* io[2] = {&x, &out};
  const Channels<2> v = channels_of<2>(io);
  BnArgs ba{param_of(w), param_of(b), param_of(rm), param_of(rv), param_of(&sm), param_of(&si),
            momentum,    eps,         training,     batch_stats,  has_r,         c};
  dispatch_float(x.dtype, [&](auto tag) { batch_norm_kernel<decltype(tag)><<<grid_for(c), kThreads>>>(v, ba); });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_batch_norm_backward(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                                   mt_error* err) {
  const char* op = "batch_norm_backward";
  BatchNormBackwardArgs p{};
  MT_TRY(parse_batch_norm_backward(err, op, args, nargs, attrs, nattrs, &p));
  const mt_tensor &g = *p.g, &x = *p.x, &sm = *p.sm, &si = *p.si, &gi = *p.gi, &gw = *p.gw, &gb = *p.gb;
  const mt_tensor* w = p.w;
  const bool training = p.training;
  const int64_t c = p.c;
  if (c == 0) return MT_OK;
  const mt_tensor* io[3] = {&x, &g, &gi};
  const Channels<3> v = channels_of<3>(io);
  BnBackArgs ba{param_of(w), param_of(&sm), param_of(&si), param_of(&gw), param_of(&gb), training, c};
  dispatch_float(x.dtype, [&](auto tag) {
    batch_norm_backward_kernel<decltype(tag)><<<grid_for(c), kThreads>>>(v, ba);
  });
  return MT_OK;
}
