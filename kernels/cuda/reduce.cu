// Reductions over the trailing attrs[0] dims of x into a contiguous output of the leading dims, with the
// conventions of kernels/cpu/reduce.cc: half types accumulate in float, float64 in double, int32/bool
// exactly in int64; max/min let a NaN win; argmax gives the first index of the maximum (a NaN above
// everything); var is two-pass (float for half inputs, double otherwise). One block per output element,
// threads striding over the reduced extent then a shared-memory tree: the summation order differs from
// the CPU's, so sums agree within rounding, while max, min and argmax agree exactly.
#include <cmath>
#include <limits>

#include "block_reduce.cuh"
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

struct Extent {
  int32_t ndim;
  int64_t shape[MT_MAX_DIMS];
  int64_t strides[MT_MAX_DIMS];  // bytes
  int64_t numel;
};

struct ReduceArgs {
  const char* in;  // storage base + offset * itemsize
  char* out;       // contiguous output
  Extent keep, red;
};

__device__ __forceinline__ int64_t offset_in(const Extent& e, int64_t i) {
  int64_t off = 0;
  for (int d = e.ndim - 1; d >= 0; --d) {
    const int64_t c = i % e.shape[d];
    i /= e.shape[d];
    off += c * e.strides[d];
  }
  return off;
}

ReduceArgs reduce_args(const mt_tensor& x, const mt_tensor& out, int k) {
  ReduceArgs a{};
  const int64_t size = itemsize(x.dtype);
  a.in = static_cast<const char*>(x.data) + x.layout.offset * size;
  a.out = static_cast<char*>(out.data) + out.layout.offset * itemsize(out.dtype);
  const int lead = x.layout.ndim - k;
  a.keep.ndim = lead;
  a.red.ndim = k;
  a.keep.numel = a.red.numel = 1;
  for (int d = 0; d < x.layout.ndim; ++d) {
    Extent& e = d < lead ? a.keep : a.red;
    const int j = d < lead ? d : d - lead;
    e.shape[j] = x.layout.shape[d];
    e.strides[j] = x.layout.strides[d] * size;
    e.numel *= x.layout.shape[d];
  }
  return a;
}

// Op: Acc identity(); Acc load(const char* p, int64_t r); Acc combine(Acc, Acc) (associative, and
// order-aware for argmax: lower indices first); void finish(Acc, int64_t n, char* out, int64_t m).
template <class Acc, class Op>
__global__ void reduce_kernel(ReduceArgs a, Op op) {
  for (int64_t m = blockIdx.x; m < a.keep.numel; m += gridDim.x) {
    const char* base = a.in + offset_in(a.keep, m);
    Acc acc = op.identity();
    for (int64_t r = threadIdx.x; r < a.red.numel; r += kThreads) acc = op.combine(acc, op.load(base + offset_in(a.red, r), r));
    acc = block_reduce(acc, op);
    if (threadIdx.x == 0) op.finish(acc, a.red.numel, a.out, m);
  }
}

template <class Acc, class Op>
void launch_reduce(const ReduceArgs& a, const Op& op) {
  if (a.keep.numel == 0) return;
  const unsigned blocks = unsigned(a.keep.numel < 65536 ? a.keep.numel : 65536);
  reduce_kernel<Acc><<<blocks, kThreads>>>(a, op);
}

template <class T>
constexpr bool kIntegral = std::is_same_v<T, int32_t> || std::is_same_v<T, bool>;
template <class T>
using SumAcc = std::conditional_t<kIntegral<T>, long long, cuda::Math<T>>;

template <class T>
__device__ __forceinline__ cuda::Math<T> value(const char* p) {
  return dload<T>(ld<T>(p));
}

template <class T, bool Mean>
struct SumOp {
  using Acc = SumAcc<T>;
  __device__ Acc identity() const { return Acc(0); }
  __device__ Acc load(const char* p, int64_t) const { return Acc(value<T>(p)); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ void finish(Acc a, int64_t n, char* out, int64_t m) const {
    if constexpr (kIntegral<T>) {
      if constexpr (Mean) st<float>(out + m * 4, float(double(a) / double(n)));
      else st<int32_t>(out + m * 4, int32_t(static_cast<unsigned long long>(a)));
    } else if constexpr (Mean) {
      st<T>(out + m * sizeof(T), dstore<T>(a / Acc(n)));
    } else {
      st<T>(out + m * sizeof(T), dstore<T>(a));
    }
  }
};

template <class V>
__device__ __forceinline__ bool nan_of(V v) {
  if constexpr (std::is_floating_point_v<V>) return isnan(v);
  else return false;
}

template <class T, bool Max>
struct ExtremeOp {
  using V = cuda::Math<T>;
  __device__ V identity() const {
    if constexpr (std::is_same_v<V, bool>) return !Max;
    else if constexpr (std::is_floating_point_v<V>) return Max ? -INFINITY : INFINITY;
    else return Max ? INT32_MIN : INT32_MAX;
  }
  __device__ V load(const char* p, int64_t) const { return value<T>(p); }
  __device__ V combine(V a, V b) const { return (Max ? b > a : b < a) || nan_of(b) ? b : a; }
  __device__ void finish(V a, int64_t, char* out, int64_t m) const {
    if constexpr (std::is_same_v<V, bool>) st<bool>(out + m, a);
    else st<T>(out + m * sizeof(T), dstore<T>(a));
  }
};

template <class V>
struct Best {
  V v;
  long long i;  // -1: none yet
};

template <class T>
struct ArgmaxOp {
  using V = cuda::Math<T>;
  using Acc = Best<V>;
  __device__ Acc identity() const { return Acc{V(0), -1}; }
  __device__ Acc load(const char* p, int64_t r) const { return Acc{value<T>(p), r}; }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    const bool an = nan_of(a.v), bn = nan_of(b.v);
    if (an != bn) return an ? a : b;  // a NaN is above everything
    if (an) return a.i < b.i ? a : b;  // the first NaN
    if (a.v > b.v) return a;
    if (b.v > a.v) return b;
    return a.i < b.i ? a : b;
  }
  __device__ void finish(Acc a, int64_t, char* out, int64_t m) const { st<int32_t>(out + m * 4, int32_t(a.i)); }
};

template <class A>
struct Plus {
  __device__ A combine(A a, A b) const { return a + b; }
};

template <class T>
using VarAcc = std::conditional_t<std::is_same_v<T, f16> || std::is_same_v<T, bf16>, float, double>;
template <class T>
using FloatOut = std::conditional_t<kIntegral<T>, float, T>;

template <class T>
__global__ void var_kernel(ReduceArgs a, double correction) {
  using A = VarAcc<T>;
  using Out = FloatOut<T>;
  for (int64_t m = blockIdx.x; m < a.keep.numel; m += gridDim.x) {
    const char* base = a.in + offset_in(a.keep, m);
    A s = 0;
    for (int64_t r = threadIdx.x; r < a.red.numel; r += kThreads) s += A(value<T>(base + offset_in(a.red, r)));
    const A mean = block_reduce(s, Plus<A>{}) / A(a.red.numel);
    A q = 0;
    for (int64_t r = threadIdx.x; r < a.red.numel; r += kThreads) {
      const A d = A(value<T>(base + offset_in(a.red, r))) - mean;
      q += d * d;
    }
    q = block_reduce(q, Plus<A>{});
    if (threadIdx.x == 0) {
      const double dof = double(a.red.numel) - correction;
      const A v = dof > 0 ? q / A(dof) : A(NAN);
      if constexpr (std::is_same_v<Out, float> && kIntegral<T>) st<float>(a.out + m * 4, float(v));
      else st<Out>(a.out + m * sizeof(Out), dstore<Out>(cuda::Math<Out>(v)));
    }
  }
}

struct FiniteOp {
  int32_t dtype;
  __device__ int identity() const { return 0; }
  __device__ int load(const char* p, int64_t) const {
    switch (dtype) {
      case MT_FLOAT32:
        return (ld<uint32_t>(p) & 0x7F800000u) == 0x7F800000u;
      case MT_FLOAT64:
        return (ld<unsigned long long>(p) & 0x7FF0000000000000ull) == 0x7FF0000000000000ull;
      case MT_FLOAT16:
        return (ld<uint16_t>(p) & 0x7C00u) == 0x7C00u;
      case MT_BFLOAT16:
        return (ld<uint16_t>(p) & 0x7F80u) == 0x7F80u;
    }
    return 0;
  }
  __device__ int combine(int a, int b) const { return a | b; }
  __device__ void finish(int bad, int64_t, char* out, int64_t) const { st<bool>(out, bad == 0); }
};

// Argument checks of reduce.cc; on success *k is the number of reduced (trailing) dims.
mt_status check(const char* op, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, int32_t need_attrs,
                int32_t out_dtype, mt_error* err, int* k) {
  if (nargs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 2 tensors (x, out), got %d", op, nargs);
  if (nattrs < need_attrs) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d attributes, got %d", op, need_attrs, nattrs);
  const mt_layout& x = args[0].layout;
  const mt_layout& o = args[1].layout;
  const double kd = attrs[0];
  if (!(kd >= 0 && kd <= x.ndim && std::floor(kd) == kd))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected the reduced dim count in 0..%d, got %g", op, x.ndim, kd);
  *k = int(kd);
  if (args[1].dtype != out_dtype)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: expected a %s output for a %s input, got %s", op, dtype_name(out_dtype),
                dtype_name(args[0].dtype), dtype_name(args[1].dtype));
  bool shape_ok = o.ndim == x.ndim - *k;
  for (int d = 0; shape_ok && d < o.ndim; ++d) shape_ok = o.shape[d] == x.shape[d];
  if (!shape_ok) return fail(err, MT_ERR_SHAPE, "%s: expected the output shape to be the %d leading dims of the input", op, x.ndim - *k);
  if (!is_contiguous(o)) return fail(err, MT_ERR_SHAPE, "%s: expected a contiguous output", op);
  return MT_OK;
}

int32_t sum_dtype(int32_t dt) { return dt == MT_BOOL ? MT_INT32 : dt; }
int32_t float_dtype(int32_t dt) { return dt == MT_INT32 || dt == MT_BOOL ? MT_FLOAT32 : dt; }

mt_status nonempty(const char* name, const ReduceArgs& a, mt_error* err) {
  if (a.keep.numel > 0 && a.red.numel == 0)
    return fail(err, MT_ERR_SHAPE, "%s: expected a non-empty reduction, got 0 elements to reduce", name);
  return MT_OK;
}

template <bool Mean>
mt_status run_sum(const char* name, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  const int32_t dt = args[0].dtype;
  int k = 0;
  if (mt_status s = check(name, args, nargs, attrs, nattrs, 1, Mean ? float_dtype(dt) : sum_dtype(dt), err, &k)) return s;
  const ReduceArgs a = reduce_args(args[0], args[1], k);
  dispatch_all(dt, [&](auto t) {
    using T = decltype(t);
    launch_reduce<SumAcc<T>>(a, SumOp<T, Mean>{});
  });
  return MT_OK;
}

template <bool Max>
mt_status run_extreme(const char* name, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  int k = 0;
  if (mt_status s = check(name, args, nargs, attrs, nattrs, 1, args[0].dtype, err, &k)) return s;
  const ReduceArgs a = reduce_args(args[0], args[1], k);
  if (mt_status s = nonempty(name, a, err)) return s;
  dispatch_all(args[0].dtype, [&](auto t) {
    using T = decltype(t);
    launch_reduce<cuda::Math<T>>(a, ExtremeOp<T, Max>{});
  });
  return MT_OK;
}

}  // namespace

extern "C" mt_status mt_cuda_k_sum(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return run_sum<false>("sum", args, nargs, attrs, nattrs, err);
}
extern "C" mt_status mt_cuda_k_mean(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return run_sum<true>("mean", args, nargs, attrs, nattrs, err);
}
extern "C" mt_status mt_cuda_k_max(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return run_extreme<true>("max", args, nargs, attrs, nattrs, err);
}
extern "C" mt_status mt_cuda_k_min(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return run_extreme<false>("min", args, nargs, attrs, nattrs, err);
}

extern "C" mt_status mt_cuda_k_argmax(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  int k = 0;
  if (mt_status s = check("argmax", args, nargs, attrs, nattrs, 1, MT_INT32, err, &k)) return s;
  const ReduceArgs a = reduce_args(args[0], args[1], k);
  if (mt_status s = nonempty("argmax", a, err)) return s;
  if (a.red.numel > int64_t(INT32_MAX) + 1)
    return fail(err, MT_ERR_SHAPE, "argmax: expected at most 2^31 elements to reduce (int32 indices), got %lld",
                static_cast<long long>(a.red.numel));
  dispatch_all(args[0].dtype, [&](auto t) {
    using T = decltype(t);
    launch_reduce<Best<cuda::Math<T>>>(a, ArgmaxOp<T>{});
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_var(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  int k = 0;
  if (mt_status s = check("var", args, nargs, attrs, nattrs, 2, float_dtype(args[0].dtype), err, &k)) return s;
  const double correction = attrs[1];
  if (!(std::isfinite(correction) && correction >= 0))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "var: expected a finite correction >= 0, got %g", correction);
  const ReduceArgs a = reduce_args(args[0], args[1], k);
  if (a.keep.numel == 0) return MT_OK;
  const unsigned blocks = unsigned(a.keep.numel < 65536 ? a.keep.numel : 65536);
  dispatch_all(args[0].dtype, [&](auto t) { var_kernel<decltype(t)><<<blocks, kThreads>>>(a, correction); });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_all_finite(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                          mt_error* err) {
  if (nargs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "all_finite: expected 2 tensors (x, out), got %d", nargs);
  const mt_tensor& x = args[0];
  if (nattrs >= 1 && attrs[0] != double(x.layout.ndim))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "all_finite: expected to reduce all %d dims, got %g", x.layout.ndim, attrs[0]);
  if (args[1].dtype != MT_BOOL)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "all_finite: expected a bool output, got %s", dtype_name(args[1].dtype));
  if (numel(args[1].layout) != 1)
    return fail(err, MT_ERR_SHAPE, "all_finite: expected a one-element output, got %lld elements",
                static_cast<long long>(numel(args[1].layout)));
  const ReduceArgs a = reduce_args(x, args[1], x.layout.ndim);
  reduce_kernel<int><<<1, kThreads>>>(a, FiniteOp{x.dtype});
  return MT_OK;
}
