// Binary elementwise kernels. attrs[0] is the scalar mode:
//   0: args (a, b, out), a and b of one dtype, all three of one (broadcast) shape;
//   1: args (x, out), out = x op attrs[1];
//   2: args (x, out), out = attrs[1] op x.
// The scalar is taken in op-math type (float for float32 and the half types, double for float64,
// exact int32 / bool), never rounded to the tensor's half type first. Comparisons give bool; every
// other op gives the input dtype, computed in op-math type and rounded once.
//
// Integer arithmetic wraps around (two's complement). On bool, add is or, mul is and, maximum is or,
// minimum is and; sub and pow refuse bool and div takes float dtypes only (the op layer promotes).
#include <cmath>

#include "elementwise.h"

namespace mt {
namespace {

constexpr int kNoSimd = -1;

template <class T>
constexpr bool is_bool_v = std::is_same_v<T, bool>;
template <class T>
constexpr bool is_int_v = std::is_same_v<T, int32_t>;

// Allowed input dtypes.
enum Allows { kAll, kNoBool, kFloatOnly };

// PyTorch's integer power: exact with wrap-around; a negative exponent gives 0 except for bases ±1.
int32_t int_pow(int32_t base, int32_t exp) {
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

struct Add {
  static constexpr const char* name = "add";
  static constexpr int simd = int(simd::BinOp::Add);
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    if constexpr (is_bool_v<T>) return a || b;
    else if constexpr (is_int_v<T>) return int32_t(uint32_t(a) + uint32_t(b));
    else return a + b;
  }
};

struct Sub {
  static constexpr const char* name = "sub";
  static constexpr int simd = int(simd::BinOp::Sub);
  static constexpr Allows allows = kNoBool;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    if constexpr (is_int_v<T>) return int32_t(uint32_t(a) - uint32_t(b));
    else return a - b;
  }
};

struct Mul {
  static constexpr const char* name = "mul";
  static constexpr int simd = int(simd::BinOp::Mul);
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    if constexpr (is_bool_v<T>) return a && b;
    else if constexpr (is_int_v<T>) return int32_t(uint32_t(a) * uint32_t(b));
    else return a * b;
  }
};

struct Div {
  static constexpr const char* name = "div";
  static constexpr int simd = int(simd::BinOp::Div);
  static constexpr Allows allows = kFloatOnly;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    return a / b;
  }
};

struct Pow {
  static constexpr const char* name = "pow";
  static constexpr int simd = kNoSimd;
  static constexpr Allows allows = kNoBool;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    if constexpr (is_int_v<T>) return int_pow(a, b);
    else return std::pow(a, b);
  }
};

struct Maximum {
  static constexpr const char* name = "maximum";
  static constexpr int simd = int(simd::BinOp::Maximum);
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    return maximum_of(a, b);
  }
};

struct Minimum {
  static constexpr const char* name = "minimum";
  static constexpr int simd = int(simd::BinOp::Minimum);
  static constexpr Allows allows = kAll;
  static constexpr bool predicate = false;
  template <class T>
  static Math<T> f(Math<T> a, Math<T> b) {
    return minimum_of(a, b);
  }
};

#define MT_COMPARISON(Name, str, expr)              \
  struct Name {                                     \
    static constexpr const char* name = str;        \
    static constexpr int simd = kNoSimd;            \
    static constexpr Allows allows = kAll;          \
    static constexpr bool predicate = true;         \
    template <class T>                              \
    static bool f(Math<T> a, Math<T> b) {           \
      return expr;                                  \
    }                                               \
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

template <class Op, class T>
const simd::Table* simd_table_for() {
  if constexpr (Op::simd == kNoSimd || Op::predicate) return nullptr;
  else return simd::kind_of(dtype_of<T>()) >= 0 ? simd::table() : nullptr;
}

// Mode 0: out = a op b. Rows whose inputs are contiguous or a broadcast scalar take the SIMD row.
template <class Op, class T>
void run_tensors(mt_tensor* args) {
  using Out = OutOf<Op, T>;
  mt_tensor* t[3] = {&args[0], &args[1], &args[2]};
  const int64_t size = sizeof(T);
  const int64_t sizes[3] = {size, size, int64_t(sizeof(Out))};
  const Rows<3> rows(t, sizes);
  const simd::Table* table = simd_table_for<Op, T>();
  rows.run([&](char** p, const int64_t* s, int64_t n) {
    if (table != nullptr && s[2] == size) {
      const int op = Op::simd < 0 ? 0 : Op::simd, kind = simd::kind_of(dtype_of<T>());
      if (s[0] == size && s[1] == size) return table->vv[op][kind](p[0], p[1], p[2], n);
      if (s[0] == size && s[1] == 0) return table->vs[op][kind](p[0], float(load(read_at<T>(p[1]))), p[2], n);
      if (s[0] == 0 && s[1] == size) return table->sv[op][kind](float(load(read_at<T>(p[0]))), p[1], p[2], n);
    }
    if constexpr (!Op::predicate && std::is_same_v<Math<T>, float>) {
      if (table != nullptr) {
        // A strided row: gather blocks as float and run the float32 SIMD row on them (the same bits).
        const int op = Op::simd < 0 ? 0 : Op::simd;
        float a[kBlock], b[kBlock];
        for (int64_t i = 0; i < n; i += kBlock) {
          const int64_t k = std::min(kBlock, n - i);
          stage<T>(p[0] + i * s[0], s[0], k, a);
          stage<T>(p[1] + i * s[1], s[1], k, b);
          table->vv[op][simd::kF32](a, b, a, k);
          unstage<T>(a, p[2] + i * s[2], s[2], k);
        }
        return;
      }
    }
    binary_row<T, Out>(p, s, n, [](Math<T> a, Math<T> b) { return Op::template f<T>(a, b); });
  });
}

// Modes 1 and 2: out = x op s / s op x, element by element with f (the scalar is inside f).
template <class T, class Out, class F>
void run_with_scalar(mt_tensor* args, simd::BinVS vs, simd::BinSV sv, float s, const F& f) {
  mt_tensor* t[2] = {&args[0], &args[1]};
  const int64_t sizes[2] = {int64_t(sizeof(T)), int64_t(sizeof(Out))};
  const Rows<2> rows(t, sizes);
  rows.run([&](char** p, const int64_t* st, int64_t n) {
    if (st[0] == sizes[0] && st[1] == sizes[1]) {
      if (vs != nullptr) return vs(p[0], s, p[1], n);
      if (sv != nullptr) return sv(s, p[0], p[1], n);
    }
    unary_row<T, Out>(p, st, n, f);
  });
}

// x ** e for a scalar e: the special exponents PyTorch's CPU and CUDA kernels compute with
// multiplications, sqrt and reciprocals (so x ** 3 is x * x * x, rounded twice, as there).
template <class T>
void run_pow_scalar_exponent(mt_tensor* args, Math<T> e) {
  using M = Math<T>;
  const simd::Table* table = simd::kind_of(dtype_of<T>()) >= 0 ? simd::table() : nullptr;
  const int kind = simd::kind_of(dtype_of<T>());
  simd::BinVS none = nullptr;
  if (e == 2) return run_with_scalar<T, T>(args, none, nullptr, 0, [](M x) { return x * x; });
  if (e == 3) return run_with_scalar<T, T>(args, none, nullptr, 0, [](M x) { return x * x * x; });
  if (e == -2) return run_with_scalar<T, T>(args, none, nullptr, 0, [](M x) { return M(1) / (x * x); });
  if (e == 0.5) return run_with_scalar<T, T>(args, none, nullptr, 0, [](M x) { return std::sqrt(x); });
  if (e == -0.5) return run_with_scalar<T, T>(args, none, nullptr, 0, [](M x) { return M(1) / std::sqrt(x); });
  if (e == -1) {
    const simd::BinSV recip = table != nullptr ? table->sv[int(simd::BinOp::Div)][kind] : nullptr;
    return run_with_scalar<T, T>(args, none, recip, 1.0f, [](M x) { return M(1) / x; });
  }
  run_with_scalar<T, T>(args, none, nullptr, 0, [e](M x) { return std::pow(x, e); });
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
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: operand dtypes differ (%s and %s); the op layer casts them to one",
                name, dtype_name(dt), dtype_name(args[1].dtype));
  if ((Op::allows == kNoBool && dt == MT_BOOL) || (Op::allows == kFloatOnly && !is_dtype_float(dt)))
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (expected %s)", name, dtype_name(dt),
                Op::allows == kNoBool ? "a float dtype or int32" : "a float dtype");
  const int32_t want_out = Op::predicate ? MT_BOOL : dt;
  if (out_dt != want_out)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: output dtype %s does not match (expected %s)", name,
                dtype_name(out_dt), dtype_name(want_out));
  mt_status status = MT_OK;
  dispatch_all(dt, [&](auto tag) {
    using T = decltype(tag);
    using M = Math<T>;
    using Out = OutOf<Op, T>;
    if constexpr ((Op::allows == kNoBool && is_bool_v<T>) || (Op::allows == kFloatOnly && !is_float_v<T>)) {
      return;
    } else {
      if (mode == 0) return run_tensors<Op, T>(args);
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
              status = fail(err, MT_ERR_INVALID_ARGUMENT, "pow: Integers to negative integer powers are not allowed (exponent %d)", s);
              return;
            }
          } else {
            return run_pow_scalar_exponent<T>(args, s);
          }
        }
      }
      const simd::Table* table = simd_table_for<Op, T>();
      const int op = Op::simd < 0 ? 0 : Op::simd, kind = simd::kind_of(dtype_of<T>());
      const simd::BinVS vs = table != nullptr && mode == 1 ? table->vs[op][kind] : nullptr;
      const simd::BinSV sv = table != nullptr && mode == 2 ? table->sv[op][kind] : nullptr;
      if (mode == 1) run_with_scalar<T, Out>(args, vs, nullptr, float(s), [s](M x) { return Op::template f<T>(x, s); });
      else run_with_scalar<T, Out>(args, nullptr, sv, float(s), [s](M x) { return Op::template f<T>(s, x); });
    }
  });
  return status;
}

}  // namespace
}  // namespace mt

#define MT_BINARY_ENTRY(kernel, Op)                                                                        \
  extern "C" mt_status mt_k_##kernel(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, \
                                     mt_error* err) {                                                      \
    return mt::run_binary<mt::Op>(args, nargs, attrs, nattrs, err);                                        \
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
