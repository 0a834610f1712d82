// Unary elementwise kernels on the device, (x, out) of one shape, with the semantics of
// kernels/cpu/unary.cc: half types computed in float, rounded once; exp and sigmoid with exp_f32 (the
// same bits as the CPU); log and tanh with CUDA's libm (within its documented ulps of the CPU's).
#include <cmath>
#include <limits>

#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

enum class Domain { Float, Signed, Any };

mt_status check_unary(const char* op, mt_tensor* args, int32_t nargs, Domain domain, bool predicate, mt_error* err) {
  if (nargs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 2 tensor arguments (x, out), got %d", op, nargs);
  if (mt_status s = check_elementwise(op, args, nargs, err)) return s;
  const int32_t in = args[0].dtype, out = args[1].dtype;
  const bool ok = domain == Domain::Any || is_float_dtype(in) || (domain == Domain::Signed && in == MT_INT32);
  if (!ok)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (expected %s)", op, dtype_name(in),
                domain == Domain::Float ? "float32, float16, bfloat16 or float64" : "a float dtype or int32");
  const int32_t want = predicate ? MT_BOOL : in;
  if (out != want)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: output dtype %s does not match (expected %s)", op, dtype_name(out),
                dtype_name(want));
  return MT_OK;
}

template <class T, class Out, class F>
struct Map {
  F f;
  __device__ void operator()(char** p) const {
    if constexpr (std::is_same_v<Out, bool>) st<bool>(p[1], f(dload<T>(ld<T>(p[0]))));
    else st<Out>(p[1], dstore<Out>(f(dload<T>(ld<T>(p[0])))));
  }
};

template <class T, class F>
void map(mt_tensor* args, F f) {
  launch_elementwise<2>(args, Map<T, T, F>{f});
}

template <class Fn>
void dispatch_signed(int32_t dt, Fn&& fn) {
  dispatch_all(dt, [&](auto tag) {
    if constexpr (!std::is_same_v<decltype(tag), bool>) fn(tag);
  });
}

#define MT_FLOAT_FUNCTOR(Name, expr_f, expr_d)                 \
  struct Name {                                                \
    __device__ float operator()(float x) const { return expr_f; } \
    __device__ double operator()(double x) const { return expr_d; } \
  };
MT_FLOAT_FUNCTOR(Sqrt, __fsqrt_rn(x), __dsqrt_rn(x))
MT_FLOAT_FUNCTOR(Rsqrt, __fdiv_rn(1.0f, __fsqrt_rn(x)), __ddiv_rn(1.0, __dsqrt_rn(x)))
MT_FLOAT_FUNCTOR(Exp, exp_f32(x), exp(x))
MT_FLOAT_FUNCTOR(Log, logf(x), log(x))
MT_FLOAT_FUNCTOR(Tanh, tanhf(x), tanh(x))
MT_FLOAT_FUNCTOR(Sigmoid, __fdiv_rn(1.0f, __fadd_rn(1.0f, exp_f32(-x))), __ddiv_rn(1.0, __dadd_rn(1.0, exp(-x))))
#undef MT_FLOAT_FUNCTOR

struct Neg {
  __device__ int32_t operator()(int32_t x) const { return int32_t(0u - uint32_t(x)); }
  __device__ float operator()(float x) const { return -x; }
  __device__ double operator()(double x) const { return -x; }
};
struct Abs {
  __device__ int32_t operator()(int32_t x) const { return x < 0 ? int32_t(0u - uint32_t(x)) : x; }
  __device__ float operator()(float x) const { return fabsf(x); }
  __device__ double operator()(double x) const { return fabs(x); }
};
struct Relu {
  template <class M>
  __device__ M operator()(M x) const { return x < 0 ? M(0) : x; }
};
template <class M>
struct Clamp {
  M lo, hi;
  __device__ M operator()(M x) const { return minimum_of(maximum_of(x, lo), hi); }
};
struct IsFinite {
  template <class M>
  __device__ bool operator()(M x) const { return isfinite(x); }
};
struct IsNan {
  template <class M>
  __device__ bool operator()(M x) const { return isnan(x); }
};
struct Constant {
  bool value;
  template <class M>
  __device__ bool operator()(M) const { return value; }
};

template <class F>
mt_status float_op(const char* name, mt_tensor* args, int32_t nargs, mt_error* err) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Float, false, err)) return s;
  dispatch_float(args[0].dtype, [&](auto tag) { map<decltype(tag)>(args, F{}); });
  return MT_OK;
}

template <class F>
mt_status signed_op(const char* name, mt_tensor* args, int32_t nargs, mt_error* err) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Signed, false, err)) return s;
  dispatch_signed(args[0].dtype, [&](auto tag) { map<decltype(tag)>(args, F{}); });
  return MT_OK;
}

template <class F>
mt_status predicate_op(const char* name, mt_tensor* args, int32_t nargs, bool integer_value, mt_error* err) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Any, true, err)) return s;
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_float_dtype_v<T>) launch_elementwise<2>(args, Map<T, bool, F>{F{}});
    else launch_elementwise<2>(args, Map<T, bool, Constant>{Constant{integer_value}});
  });
  return MT_OK;
}

}  // namespace

#define MT_UNARY_ENTRY(name, call)                                                                      \
  extern "C" mt_status mt_cuda_k_##name(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) { \
    return call;                                                                                        \
  }
MT_UNARY_ENTRY(neg, signed_op<Neg>("neg", args, nargs, err))
MT_UNARY_ENTRY(abs, signed_op<Abs>("abs", args, nargs, err))
MT_UNARY_ENTRY(relu, signed_op<Relu>("relu", args, nargs, err))
MT_UNARY_ENTRY(sqrt, float_op<Sqrt>("sqrt", args, nargs, err))
MT_UNARY_ENTRY(rsqrt, float_op<Rsqrt>("rsqrt", args, nargs, err))
MT_UNARY_ENTRY(exp, float_op<Exp>("exp", args, nargs, err))
MT_UNARY_ENTRY(log, float_op<Log>("log", args, nargs, err))
MT_UNARY_ENTRY(tanh, float_op<Tanh>("tanh", args, nargs, err))
MT_UNARY_ENTRY(sigmoid, float_op<Sigmoid>("sigmoid", args, nargs, err))
MT_UNARY_ENTRY(isfinite, predicate_op<IsFinite>("isfinite", args, nargs, true, err))
MT_UNARY_ENTRY(isnan, predicate_op<IsNan>("isnan", args, nargs, false, err))
#undef MT_UNARY_ENTRY

// attrs = [hasMin, min, hasMax, max]; an absent bound is -inf / +inf (the int32 limits for int32).
extern "C" mt_status mt_cuda_k_clamp(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  if (mt_status s = check_unary("clamp", args, nargs, Domain::Signed, false, err)) return s;
  if (nattrs != 4)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "clamp: expected 4 attributes (hasMin, min, hasMax, max), got %d", nattrs);
  const bool has_lo = attrs[0] != 0, has_hi = attrs[2] != 0;
  mt_status status = MT_OK;
  dispatch_signed(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using M = cuda::Math<T>;
    M lo = std::numeric_limits<M>::lowest(), hi = std::numeric_limits<M>::max();
    if constexpr (std::is_floating_point_v<M>) {
      lo = -std::numeric_limits<M>::infinity();
      hi = std::numeric_limits<M>::infinity();
    }
    for (const int i : {1, 3}) {
      if (!(i == 1 ? has_lo : has_hi)) continue;
      const double v = attrs[i];
      if constexpr (std::is_same_v<M, int32_t>) {
        if (!(v >= -2147483648.0 && v <= 2147483647.0 && v == std::floor(v))) {
          status = fail(err, MT_ERR_INVALID_ARGUMENT, "clamp: bound %g is not representable in int32", v);
          return;
        }
      }
      (i == 1 ? lo : hi) = M(v);
    }
    map<T>(args, Clamp<M>{lo, hi});
  });
  return status;
}
