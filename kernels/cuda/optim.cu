// The fused optimizer steps and the loss scaler's unscale-and-check on the device, with the arithmetic
// of kernels/cpu/optim_step.cc and unscale_check.cc written the same way (the library is compiled with
// --fmad=false, so each product and sum is rounded as on the CPU and the results agree bit for bit).
//
// unscale_check is one launch over every pair (plus one that clears `found`) when the pairs are
// contiguous, which gradients are; a strided pair gets a launch of its own. `found` stays on the
// device: the loss scaler reads it once per step.
#include <cmath>

#include "../cpu/optim_args.h"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {


template <class T>
using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <class T, class S>
struct SgdOp {
  Acc<T> lr, mom, keep, wd, decay;
  bool nesterov, buf_is_new, decoupled, maximize, has_momentum, has_wd;
  __device__ void operator()(char** p) const {
    using A = Acc<T>;
    A w = dload<T>(ld<T>(p[0]));
    A d = dload<T>(ld<T>(p[1]));
    if (maximize) d = -d;
    if (decoupled) w = w * decay;
    else if (has_wd) d = d + wd * w;
    if (has_momentum) {
      const A buf = buf_is_new ? d : A(dload<S>(ld<S>(p[2]))) * mom + keep * d;
      st<S>(p[2], dstore<S>(buf));
      d = nesterov ? d + mom * buf : buf;
    }
    st<T>(p[0], dstore<T>(w - lr * d));
  }
};

template <class T, class S>
struct AdamOp {
  Acc<T> b1, b2, one_b1, one_b2, eps, wd, decay, neg_step, bc2;
  bool decoupled, maximize, has_wd;
  __device__ void operator()(char** p) const {
    using A = Acc<T>;
    A w = dload<T>(ld<T>(p[0]));
    A gr = dload<T>(ld<T>(p[1]));
    if (maximize) gr = -gr;
    if (decoupled) w = w * decay;
    else if (has_wd) gr = gr + wd * w;
    const A mv = A(dload<S>(ld<S>(p[2]))) * b1 + one_b1 * gr;
    const A vv = A(dload<S>(ld<S>(p[3]))) * b2 + one_b2 * (gr * gr);
    st<S>(p[2], dstore<S>(mv));
    st<S>(p[3], dstore<S>(vv));
    const A denom = sqrt(vv) / bc2 + eps;
    st<T>(p[0], dstore<T>(w + neg_step * (mv / denom)));
  }
};

// ---- unscale_check

struct Pair {
  const char* src;
  char* dst;
  int64_t numel;
  int32_t src_dtype, dst_dtype;
};
constexpr int kMaxPairs = 32;  // the binding passes at most 64 tensors per call
struct Pairs {
  Pair p[kMaxPairs];
  int32_t* found;
  int64_t found_stride;  // elements
  double inv_scale;
};

template <class S, class D>
__device__ bool unscale_one(const char* s, char* d, double inv_scale) {
  using A = std::conditional_t<std::is_same_v<S, double> || std::is_same_v<D, double>, double, float>;
  const A v = A(dload<S>(ld<S>(s))) * A(inv_scale);
  st<D>(d, dstore<D>(typename OpMath<D>::type(v)));
  return isfinite(v);
}

template <class S>
__device__ bool unscale_to(int32_t dst_dtype, const char* s, char* d, double inv_scale) {
  switch (dst_dtype) {
    case MT_FLOAT32:
      return unscale_one<S, float>(s, d, inv_scale);
    case MT_FLOAT16:
      return unscale_one<S, f16>(s, d, inv_scale);
    case MT_BFLOAT16:
      return unscale_one<S, bf16>(s, d, inv_scale);
    default:
      return unscale_one<S, double>(s, d, inv_scale);
  }
}

__device__ bool unscale_elem(int32_t sd, int32_t dd, const char* s, char* d, double inv_scale) {
  switch (sd) {
    case MT_FLOAT32:
      return unscale_to<float>(dd, s, d, inv_scale);
    case MT_FLOAT16:
      return unscale_to<f16>(dd, s, d, inv_scale);
    case MT_BFLOAT16:
      return unscale_to<bf16>(dd, s, d, inv_scale);
    default:
      return unscale_to<double>(dd, s, d, inv_scale);
  }
}

__device__ int dtype_size(int32_t dt) { return dt == MT_FLOAT64 ? 8 : dt == MT_FLOAT32 ? 4 : 2; }

// blockIdx.y: the pair; blocks along x stride over its elements.
__global__ void unscale_pairs_kernel(Pairs pairs) {
  const Pair& q = pairs.p[blockIdx.y];
  const int ss = dtype_size(q.src_dtype), ds = dtype_size(q.dst_dtype);
  bool ok = true;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < q.numel; i += int64_t(gridDim.x) * blockDim.x)
    ok &= unscale_elem(q.src_dtype, q.dst_dtype, q.src + i * ss, q.dst + i * ds, pairs.inv_scale);
  if (__syncthreads_or(!ok) && threadIdx.x == 0) atomicExch(pairs.found + blockIdx.y * pairs.found_stride, 1);
}

struct UnscaleStrided {
  int32_t src_dtype, dst_dtype;
  double inv_scale;
  int32_t* flag;
  __device__ void operator()(char** p) const {
    if (!unscale_elem(src_dtype, dst_dtype, p[0], p[1], inv_scale)) atomicExch(flag, 1);
  }
};

__global__ void zero_found(int32_t* found, int64_t stride, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) found[i * stride] = 0;
}

}  // namespace

extern "C" mt_status mt_cuda_k_sgd_step(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                        mt_error* err) {
  const char* op = "sgd_step";
  if (nargs != 2 && nargs != 3) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 2 or 3 tensors, got %d", op, int(nargs));
  MT_TRY(check_attrs(err, op, nattrs, 8));
  const double lr = attrs[0], momentum = attrs[1], dampening = attrs[2], wd = attrs[3];
  MT_TRY(check_hyper(err, op, "lr", lr, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "momentum", momentum, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "dampening", dampening, -INFINITY, INFINITY));
  MT_TRY(check_hyper(err, op, "weight_decay", wd, 0, INFINITY));
  const mt_tensor& p = args[0];
  MT_TRY(check_param_and_grad(err, op, p, args[1]));
  const bool has_buf = nargs == 3;
  if (has_buf) MT_TRY(check_state(err, op, "momentum_buf", args[2], p));
  if (momentum != 0 && !has_buf) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: momentum %g needs a momentum buffer", op, momentum);
  mt_tensor ts[3] = {args[0], args[1], has_buf ? args[2] : args[0]};
  dispatch_param_state(p.dtype, has_buf ? args[2].dtype : p.dtype, [&](auto ptag, auto stag) {
    using T = decltype(ptag);
    using S = decltype(stag);
    using A = Acc<T>;
    SgdOp<T, S> f{A(lr), A(momentum), A(1 - dampening), A(wd), A(1 - lr * wd), attrs[4] != 0, attrs[5] != 0,
                  attrs[6] != 0, attrs[7] != 0, momentum != 0, wd != 0};
    launch_elementwise<3>(ts, f);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_adam_step(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                         mt_error* err) {
  const char* op = "adam_step";
  if (nargs != 4) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 4 tensors, got %d", op, int(nargs));
  MT_TRY(check_attrs(err, op, nattrs, 8));
  const double lr = attrs[0], beta1 = attrs[1], beta2 = attrs[2], eps = attrs[3], wd = attrs[4];
  MT_TRY(check_hyper(err, op, "lr", lr, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "beta1", beta1, 0, 1 - 0x1p-53));
  MT_TRY(check_hyper(err, op, "beta2", beta2, 0, 1 - 0x1p-53));
  MT_TRY(check_hyper(err, op, "eps", eps, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "weight_decay", wd, 0, INFINITY));
  MT_TRY(check_int_attr(err, op, "step", attrs[5], 1, 0x1p53));
  const mt_tensor &p = args[0], &m = args[2], &v = args[3];
  MT_TRY(check_param_and_grad(err, op, p, args[1]));
  MT_TRY(check_state(err, op, "exp_avg", m, p));
  MT_TRY(check_state(err, op, "exp_avg_sq", v, p));
  if (m.dtype != v.dtype) return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: exp_avg and exp_avg_sq dtypes differ", op);
  // Step-count scalars in double on the host, as the CPU kernel (and PyTorch, in Python) computes them.
  const double step = attrs[5];
  const double step_size = lr / (1 - std::pow(beta1, step));
  const double bc2_sqrt = std::sqrt(1 - std::pow(beta2, step));
  dispatch_param_state(p.dtype, m.dtype, [&](auto ptag, auto stag) {
    using T = decltype(ptag);
    using S = decltype(stag);
    using A = Acc<T>;
    AdamOp<T, S> f{A(beta1), A(beta2), A(1 - beta1), A(1 - beta2), A(eps), A(wd), A(1 - lr * wd), A(-step_size),
                   A(bc2_sqrt), attrs[6] != 0, attrs[7] != 0, wd != 0};
    launch_elementwise<4>(args, f);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_unscale_check(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                             mt_error* err) {
  const char* op = "unscale_check";
  MT_TRY(check_unscale_check(args, nargs, attrs, nattrs, err));
  const double inv_scale = attrs[0];
  const int n = (nargs - 1) / 2;
  if (n > kMaxPairs) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: at most %d pairs per call, got %d", op, kMaxPairs, n);
  mt_tensor& found = args[nargs - 1];
  if (n == 0) return MT_OK;
  int32_t* found_base = static_cast<int32_t*>(found.data) + found.layout.offset;
  const int64_t found_stride = found.layout.strides[0];
  zero_found<<<1, kThreads>>>(found_base, found_stride, n);
  Pairs fused{};
  fused.found = found_base;
  fused.found_stride = found_stride;
  fused.inv_scale = inv_scale;
  int64_t longest = 0;
  bool all_contiguous = true;
  for (int i = 0; i < n; ++i) {
    const mt_tensor &s = args[i], &d = args[n + i];
    if (!is_contiguous(s.layout) || !is_contiguous(d.layout)) all_contiguous = false;
    fused.p[i] = Pair{static_cast<const char*>(s.data) + s.layout.offset * itemsize(s.dtype),
                      static_cast<char*>(d.data) + d.layout.offset * itemsize(d.dtype), numel(s.layout), s.dtype, d.dtype};
    if (fused.p[i].numel > longest) longest = fused.p[i].numel;
  }
  if (all_contiguous) {
    if (longest > 0) unscale_pairs_kernel<<<dim3(blocks_for(longest) < 1024 ? blocks_for(longest) : 1024, n), kThreads>>>(fused);
    return MT_OK;
  }
  for (int i = 0; i < n; ++i) {
    mt_tensor pair[2] = {args[i], args[n + i]};
    launch_elementwise<2>(pair, UnscaleStrided{args[i].dtype, args[n + i].dtype, inv_scale, found_base + i * found_stride});
  }
  return MT_OK;
}
