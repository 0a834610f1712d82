// Binary elementwise kernels and where on the device, with the argument conventions and semantics of
// kernels/cpu/binary.cc and where.cc. attrs[0] is the scalar mode: 0 (a, b, out), 1 (x, out) with
// out = x op attrs[1], 2 (x, out) with out = attrs[1] op x. Arithmetic is IEEE with one rounding per
// operation (_rn intrinsics), so results equal the CPU's bit for bit; float pow uses CUDA's powf.
#include <cmath>

#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

enum Allows { kAll, kNoBool, kFloatOnly };

template <class T>
constexpr bool is_bool_v = std::is_same_v<T, bool>;
template <class T>
constexpr bool is_int_v = std::is_same_v<T, int32_t>;

__device__ int32_t int_pow(int32_t base, int32_t exp) {
  if (exp < 0) {
    if (base == 1) return 1;
    if (base == -1) return (exp & 1) ? -1 : 1;
    return 0;
  }
  uint32_t result = 1, b = uint32_t(base);
  for (uint32_t e = uint32_t(exp); e != 0; e >>= 1) {
    if (e & 1) result *= b;
    b *= b;
  }
  return int32_t(result);
}

__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub_rn(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double div_rn(double a, double b) { return __ddiv_rn(a, b); }

struct Add {
  static constexpr const char* name = "add";
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    if constexpr (is_bool_v<T>) return a || b;
    else if constexpr (is_int_v<T>) return int32_t(uint32_t(a) + uint32_t(b));
    else return add_rn(a, b);
  }
};
struct Sub {
  static constexpr const char* name = "sub";
  static constexpr Allows allows = kNoBool;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    if constexpr (is_int_v<T>) return int32_t(uint32_t(a) - uint32_t(b));
    else return sub_rn(a, b);
  }
};
struct Mul {
  static constexpr const char* name = "mul";
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    if constexpr (is_bool_v<T>) return a && b;
    else if constexpr (is_int_v<T>) return int32_t(uint32_t(a) * uint32_t(b));
    else return mul_rn(a, b);
  }
};
struct Div {
  static constexpr const char* name = "div";
  static constexpr Allows allows = kFloatOnly;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    return div_rn(a, b);
  }
};
struct Pow {
  static constexpr const char* name = "pow";
  static constexpr Allows allows = kNoBool;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    if constexpr (is_int_v<T>) return int_pow(a, b);
    else return pow(a, b);
  }
};
struct Maximum {
  static constexpr const char* name = "maximum";
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    return maximum_of(a, b);
  }
};
struct Minimum {
  static constexpr const char* name = "minimum";
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T, class M>
  __device__ static M f(M a, M b) {
    return minimum_of(a, b);
  }
};
#define MT_COMPARISON(Name, str, expr)        \
  struct Name {                               \
    static constexpr const char* name = str;  \
    static constexpr Allows allows = kAll;    \
    static constexpr bool predicate = true;   \
    template <class T, class M>               \
    __device__ static bool f(M a, M b) {      \
      return expr;                            \
    }                                         \
  };
MT_COMPARISON(Eq, "eq", a == b)
MT_COMPARISON(Ne, "ne", a != b)
MT_COMPARISON(Lt, "lt", a < b)
MT_COMPARISON(Le, "le", a <= b)
MT_COMPARISON(Gt, "gt", a > b)
MT_COMPARISON(Ge, "ge", a >= b)
#undef MT_COMPARISON

template <class Op, class T>
using OutOf = std::conditional_t<Op::predicate, bool, T>;

template <class Out, class M>
__device__ __forceinline__ void put(char* p, M v) {
  if constexpr (std::is_same_v<Out, bool>) st<bool>(p, bool(v));
  else st<Out>(p, dstore<Out>(v));
}

template <class Op, class T>
struct Tensors {
  __device__ void operator()(char** p) const {
    using M = cuda::Math<T>;
    const M a = dload<T>(ld<T>(p[0])), b = dload<T>(ld<T>(p[1]));
    put<OutOf<Op, T>>(p[2], Op::template f<T, M>(a, b));
  }
};

// Scalar modes; `right`: x op s, else s op x.
template <class Op, class T>
struct WithScalar {
  cuda::Math<T> s;
  bool right;
  __device__ void operator()(char** p) const {
    using M = cuda::Math<T>;
    const M x = dload<T>(ld<T>(p[0]));
    put<OutOf<Op, T>>(p[1], right ? Op::template f<T, M>(x, s) : Op::template f<T, M>(s, x));
  }
};

// x ** e for a scalar e: the exponents computed with multiplications, sqrt and reciprocals, as on the CPU.
template <class T>
struct PowScalar {
  cuda::Math<T> e;
  __device__ void operator()(char** p) const {
    using M = cuda::Math<T>;
    const M x = dload<T>(ld<T>(p[0]));
    M y;
    if (e == M(2)) y = mul_rn(x, x);
    else if (e == M(3)) y = mul_rn(mul_rn(x, x), x);
    else if (e == M(-2)) y = div_rn(M(1), mul_rn(x, x));
    else if (e == M(0.5)) y = sqrt_rn(x);
    else if (e == M(-0.5)) y = div_rn(M(1), sqrt_rn(x));
    else if (e == M(-1)) y = div_rn(M(1), x);
    else y = pow(x, e);
    st<T>(p[1], dstore<T>(y));
  }
  __device__ static float sqrt_rn(float x) { return __fsqrt_rn(x); }
  __device__ static double sqrt_rn(double x) { return __dsqrt_rn(x); }
};

template <class T>
bool scalar_to_math(double v, cuda::Math<T>* out) {
  if constexpr (std::is_same_v<T, int32_t>) {
    if (!(v >= -2147483648.0 && v <= 2147483647.0 && v == std::floor(v))) return false;
    *out = int32_t(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v != 0 && v != 1) return false;
    *out = v != 0;
  } else {
    *out = cuda::Math<T>(v);
  }
  return true;
}

template <class Op>
mt_status run_binary(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  const char* name = Op::name;
  if (nattrs < 1 || !(attrs[0] == 0 || attrs[0] == 1 || attrs[0] == 2))
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected attrs[0] (the scalar mode) to be 0, 1 or 2", name);
  const int mode = int(attrs[0]);
  const int32_t want_args = mode == 0 ? 3 : 2;
  if (nargs != want_args)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d tensor arguments in scalar mode %d, got %d", name,
                want_args, mode, nargs);
  if (mode != 0 && nattrs < 2)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected attrs[1] (the scalar operand) in scalar mode %d", name, mode);
  if (mt_status s = check_elementwise(name, args, nargs, err)) return s;
  const int32_t dt = args[0].dtype, out_dt = args[nargs - 1].dtype;
  if (mode == 0 && args[1].dtype != dt)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: operand dtypes differ (%s and %s)", name, dtype_name(dt),
                dtype_name(args[1].dtype));
  if ((Op::allows == kNoBool && dt == MT_BOOL) || (Op::allows == kFloatOnly && !is_float_dtype(dt)))
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (expected %s)", name, dtype_name(dt),
                Op::allows == kNoBool ? "a float dtype or int32" : "a float dtype");
  const int32_t want_out = Op::predicate ? MT_BOOL : dt;
  if (out_dt != want_out)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: output dtype %s does not match (expected %s)", name,
                dtype_name(out_dt), dtype_name(want_out));
  mt_status status = MT_OK;
  dispatch_all(dt, [&](auto tag) {
    using T = decltype(tag);
    using M = cuda::Math<T>;
    if constexpr ((Op::allows == kNoBool && is_bool_v<T>) || (Op::allows == kFloatOnly && !is_float_dtype_v<T>)) {
      return;
    } else {
      if (mode == 0) return launch_elementwise<3>(args, Tensors<Op, T>{});
      M s{};
      if (!scalar_to_math<T>(attrs[1], &s)) {
        status = fail(err, MT_ERR_INVALID_ARGUMENT, "%s: scalar %g is not representable in %s", name, attrs[1],
                      dtype_name(dt));
        return;
      }
      if constexpr (std::is_same_v<Op, Pow>) {
        if (mode == 1) {
          if constexpr (is_int_v<T>) {
            if (s < 0) {
              status = fail(err, MT_ERR_INVALID_ARGUMENT,
                            "pow: Integers to negative integer powers are not allowed (exponent %d)", s);
              return;
            }
          } else {
            return launch_elementwise<2>(args, PowScalar<T>{s});
          }
        }
      }
      launch_elementwise<2>(args, WithScalar<Op, T>{s, mode == 1});
    }
  });
  return status;
}

template <class U>
struct Select {
  __device__ void operator()(char** p) const { st<U>(p[3], ld<uint8_t>(p[0]) != 0 ? ld<U>(p[1]) : ld<U>(p[2])); }
};

}  // namespace

#define MT_BINARY_ENTRY(kernel, Op)                                                                           \
  extern "C" mt_status mt_cuda_k_##kernel(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, \
                                          mt_error* err) {                                                    \
    return run_binary<Op>(args, nargs, attrs, nattrs, err);                                                   \
  }
MT_BINARY_ENTRY(add, Add)
MT_BINARY_ENTRY(sub, Sub)
MT_BINARY_ENTRY(mul, Mul)
MT_BINARY_ENTRY(div, Div)
MT_BINARY_ENTRY(pow, Pow)
MT_BINARY_ENTRY(maximum, Maximum)
MT_BINARY_ENTRY(minimum, Minimum)
MT_BINARY_ENTRY(eq, Eq)
MT_BINARY_ENTRY(ne, Ne)
MT_BINARY_ENTRY(lt, Lt)
MT_BINARY_ENTRY(le, Le)
MT_BINARY_ENTRY(gt, Gt)
MT_BINARY_ENTRY(ge, Ge)
#undef MT_BINARY_ENTRY

// where: (cond, a, b, out), elements copied as stored.
extern "C" mt_status mt_cuda_k_where(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  if (nargs != 4) return fail(err, MT_ERR_INVALID_ARGUMENT, "where: expected 4 tensor arguments (cond, a, b, out), got %d", nargs);
  if (mt_status s = check_elementwise("where", args, nargs, err)) return s;
  if (args[0].dtype != MT_BOOL)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "where: condition dtype %s (expected bool)", dtype_name(args[0].dtype));
  const int32_t dt = args[3].dtype;
  if (args[1].dtype != dt || args[2].dtype != dt)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "where: a, b and out dtypes differ (%s, %s, %s)", dtype_name(args[1].dtype),
                dtype_name(args[2].dtype), dtype_name(dt));
  switch (itemsize(dt)) {
    case 1:
      launch_elementwise<4>(args, Select<uint8_t>{});
      break;
    case 2:
      launch_elementwise<4>(args, Select<uint16_t>{});
      break;
    case 4:
      launch_elementwise<4>(args, Select<uint32_t>{});
      break;
    default:
      launch_elementwise<4>(args, Select<uint64_t>{});
  }
  return MT_OK;
}
