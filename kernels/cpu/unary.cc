// Unary elementwise kernels: args (x, out) of one shape. out has x's dtype, except isfinite/isnan
// (bool). Half types are computed in float and rounded once on store. exp and sigmoid use exp_f32
// (elementwise.h: within 1 ulp, checked on every float) in float32 and the half types; log, tanh and
// float64 use the C library.
//
// neg/abs/relu/sqrt/rsqrt/clamp/exp/sigmoid take SIMD rows on float32/float16/bfloat16 (see
// elementwise_simd.h), strided rows through float blocks; every other row goes through the scalar
// loops of elementwise.h.
#include <limits>

#include "elementwise.h"

namespace mt {
namespace {

// Which input dtypes an op accepts (the op layer promotes or refuses the others before this).
enum class Domain { Float, Signed, Any };

mt_status check_unary(const char* op, mt_tensor* args, int32_t nargs, Domain domain, bool predicate,
                      mt_error* err) {
  if (nargs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 2 tensor arguments (x, out), got %d", op, nargs);
  if (mt_status s = check_elementwise(op, args, nargs, err)) return s;
  const int32_t in = args[0].dtype, out = args[1].dtype;
  const bool ok = domain == Domain::Any || is_dtype_float(in) || (domain == Domain::Signed && in == MT_INT32);
  if (!ok)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (expected %s)", op, dtype_name(in),
                domain == Domain::Float ? "float32, float16, bfloat16 or float64" : "a float dtype or int32");
  const int32_t want = predicate ? MT_BOOL : in;
  if (out != want)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: output dtype %s does not match (expected %s)", op, dtype_name(out),
                dtype_name(want));
  return MT_OK;
}

// Calls fn(T{}) for the float dtypes and int32.
template <class Fn>
void dispatch_signed(int32_t dt, Fn&& fn) {
  switch (dt) {
    case MT_INT32:
      fn(int32_t{});
      return;
    default:
      dispatch_all(dt, fn);
  }
}

// Runs out = f(x) over the rows, with the SIMD row for `op` where the ISA, dtype and layout allow it.
template <class T, class F>
void run_unary(mt_tensor* args, simd::UnOp op, const float* params, const F& f) {
  mt_tensor* t[2] = {&args[0], &args[1]};
  const int64_t sizes[2] = {int64_t(sizeof(T)), int64_t(sizeof(T))};
  const Rows<2> rows(t, sizes);
  simd::UnFn fast = nullptr;
  const simd::Table* table = simd::table();
  const int kind = simd::kind_of(dtype_of<T>());
  if (table != nullptr && kind >= 0) fast = table->un[int(op)][kind];
  rows.run([&](char** p, const int64_t* s, int64_t n) {
    if constexpr (std::is_same_v<Math<T>, float>) {
      if (fast != nullptr) {
        if (s[0] == sizes[0] && s[1] == sizes[1]) return fast(p[0], p[1], n, params);
        // A strided row: gather blocks as float and run the float32 SIMD row on them (the same bits).
        const simd::UnFn on_floats = table->un[int(op)][simd::kF32];
        float buf[kBlock];
        for (int64_t i = 0; i < n; i += kBlock) {
          const int64_t k = std::min(kBlock, n - i);
          stage<T>(p[0] + i * s[0], s[0], k, buf);
          on_floats(buf, buf, k, params);
          unstage<T>(buf, p[1] + i * s[1], s[1], k);
        }
        return;
      }
    }
    unary_row<T, T>(p, s, n, f);
  });
}

// out = f(x) with no SIMD row.
template <class In, class Out, class F>
void map_unary(mt_tensor* args, const F& f) {
  mt_tensor* t[2] = {&args[0], &args[1]};
  const int64_t sizes[2] = {int64_t(sizeof(In)), int64_t(sizeof(Out))};
  const Rows<2> rows(t, sizes);
  rows.run([&](char** p, const int64_t* s, int64_t n) { unary_row<In, Out>(p, s, n, f); });
}

// neg / abs on a half type flip or clear the sign bit of the stored pattern, as the SIMD rows do.
template <class T>
void sign_bits_row(char** p, const int64_t* s, int64_t n, uint16_t xor_mask, uint16_t and_mask) {
  for (int64_t i = 0; i < n; ++i) {
    T x = read_at<T>(p[0] + i * s[0]);
    x.bits = uint16_t((x.bits ^ xor_mask) & and_mask);
    write_at<T>(p[1] + i * s[1], x);
  }
}

template <class T>
void run_sign_op(mt_tensor* args, simd::UnOp op) {
  const bool is_neg = op == simd::UnOp::Neg;
  if constexpr (is_half_v<T>) {
    mt_tensor* t[2] = {&args[0], &args[1]};
    const int64_t sizes[2] = {2, 2};
    const Rows<2> rows(t, sizes);
    const simd::Table* table = simd::table();
    const simd::UnFn fast = table != nullptr ? table->un[int(op)][simd::kind_of(dtype_of<T>())] : nullptr;
    rows.run([&](char** p, const int64_t* s, int64_t n) {
      if (fast != nullptr && s[0] == 2 && s[1] == 2) return fast(p[0], p[1], n, nullptr);
      sign_bits_row<T>(p, s, n, is_neg ? 0x8000 : 0, is_neg ? 0xFFFF : 0x7FFF);
    });
  } else if constexpr (std::is_same_v<T, int32_t>) {
    // Two's complement wrap-around: -INT32_MIN and abs(INT32_MIN) are INT32_MIN, as in PyTorch.
    if (is_neg) run_unary<T>(args, op, nullptr, [](int32_t x) { return int32_t(0u - uint32_t(x)); });
    else run_unary<T>(args, op, nullptr, [](int32_t x) { return x < 0 ? int32_t(0u - uint32_t(x)) : x; });
  } else if constexpr (!std::is_same_v<T, bool>) {
    if (is_neg) run_unary<T>(args, op, nullptr, [](T x) { return -x; });
    else run_unary<T>(args, op, nullptr, [](T x) { return std::fabs(x); });
  }
}

mt_status sign_op(const char* name, simd::UnOp op, mt_tensor* args, int32_t nargs, mt_error* err) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Signed, false, err)) return s;
  dispatch_signed(args[0].dtype, [&](auto tag) { run_sign_op<decltype(tag)>(args, op); });
  return MT_OK;
}

// A float-only op: f is called with float (float32 and the half types) or double (float64).
template <class F>
mt_status float_op(const char* name, mt_tensor* args, int32_t nargs, mt_error* err, const F& f) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Float, false, err)) return s;
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    map_unary<T, T>(args, [&](Math<T> x) { return f(x); });
  });
  return MT_OK;
}

// A float-only op with SIMD rows: f takes float (float32, half types) or double (float64).
template <class F>
mt_status exp_family(const char* name, simd::UnOp op, mt_tensor* args, int32_t nargs, mt_error* err, const F& f) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Float, false, err)) return s;
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    run_unary<T>(args, op, nullptr, [&](Math<T> x) { return f(x); });
  });
  return MT_OK;
}

template <class F>
mt_status predicate_op(const char* name, mt_tensor* args, int32_t nargs, mt_error* err, bool integer_value,
                       const F& f) {
  if (mt_status s = check_unary(name, args, nargs, Domain::Any, true, err)) return s;
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_float_v<T>) map_unary<T, bool>(args, [&](Math<T> x) { return f(x); });
    else map_unary<T, bool>(args, [&](Math<T>) { return integer_value; });
  });
  return MT_OK;
}

}  // namespace
}  // namespace mt

using namespace mt;

extern "C" mt_status mt_k_neg(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return sign_op("neg", simd::UnOp::Neg, args, nargs, err);
}

extern "C" mt_status mt_k_abs(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return sign_op("abs", simd::UnOp::Abs, args, nargs, err);
}

// x < 0 ? 0 : x: NaN stays NaN and -0 stays -0, as PyTorch's relu does.
extern "C" mt_status mt_k_relu(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  if (mt_status s = check_unary("relu", args, nargs, Domain::Signed, false, err)) return s;
  dispatch_signed(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>)
      run_unary<T>(args, simd::UnOp::Relu, nullptr, [](Math<T> x) { return x < 0 ? Math<T>(0) : x; });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_sqrt(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  if (mt_status s = check_unary("sqrt", args, nargs, Domain::Float, false, err)) return s;
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    run_unary<T>(args, simd::UnOp::Sqrt, nullptr, [](Math<T> x) { return std::sqrt(x); });
  });
  return MT_OK;
}

// 1 / sqrt(x) with both steps correctly rounded (PyTorch's CPU rsqrt), not an approximation.
extern "C" mt_status mt_k_rsqrt(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  if (mt_status s = check_unary("rsqrt", args, nargs, Domain::Float, false, err)) return s;
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    run_unary<T>(args, simd::UnOp::Rsqrt, nullptr, [](Math<T> x) { return Math<T>(1) / std::sqrt(x); });
  });
  return MT_OK;
}

// float32 and the half types use exp_f32 (elementwise.h, within 1 ulp, SIMD rows with the same
// bits); float64 uses the C library.
extern "C" mt_status mt_k_exp(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return exp_family("exp", simd::UnOp::Exp, args, nargs, err, [](auto x) {
    if constexpr (std::is_same_v<decltype(x), float>) return exp_f32(x);
    else return std::exp(x);
  });
}

extern "C" mt_status mt_k_log(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return float_op("log", args, nargs, err, [](auto x) { return std::log(x); });
}

extern "C" mt_status mt_k_tanh(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return float_op("tanh", args, nargs, err, [](auto x) { return std::tanh(x); });
}

// 1 / (1 + exp(-x)), the formula of PyTorch's CPU and CUDA kernels (in op-math type).
extern "C" mt_status mt_k_sigmoid(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return exp_family("sigmoid", simd::UnOp::Sigmoid, args, nargs, err, [](auto x) {
    using M = decltype(x);
    if constexpr (std::is_same_v<M, float>) return sigmoid_f32(x);
    else return M(1) / (M(1) + std::exp(-x));
  });
}

extern "C" mt_status mt_k_isfinite(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return predicate_op("isfinite", args, nargs, err, true, [](auto x) { return std::isfinite(x); });
}

extern "C" mt_status mt_k_isnan(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  return predicate_op("isnan", args, nargs, err, false, [](auto x) { return std::isnan(x); });
}

// attrs = [hasMin, min, hasMax, max]. min(max(x, lo), hi) with NaN propagating (from x or a bound), so
// when lo > hi every element becomes hi, as in PyTorch. An absent bound is -inf / +inf (the integer
// limits for int32), which leaves every value, NaN included, unchanged.
extern "C" mt_status mt_k_clamp(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  if (mt_status s = check_unary("clamp", args, nargs, Domain::Signed, false, err)) return s;
  if (nattrs != 4)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "clamp: expected 4 attributes (hasMin, min, hasMax, max), got %d", nattrs);
  const bool has_lo = attrs[0] != 0, has_hi = attrs[2] != 0;
  mt_status status = MT_OK;
  dispatch_signed(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using M = Math<T>;
    if constexpr (!std::is_same_v<T, bool>) {
      M lo = std::numeric_limits<M>::lowest(), hi = std::numeric_limits<M>::max();
      if constexpr (std::is_floating_point_v<M>) {
        lo = -std::numeric_limits<M>::infinity();
        hi = std::numeric_limits<M>::infinity();
      }
      for (const int i : {1, 3}) {
        const bool present = i == 1 ? has_lo : has_hi;
        if (present && !scalar_to_math<T>(attrs[i], i == 1 ? &lo : &hi)) {
          status = fail(err, MT_ERR_INVALID_ARGUMENT, "clamp: bound %g is not representable in %s", attrs[i],
                        dtype_name(args[0].dtype));
          return;
        }
      }
      float params[2] = {0, 0};
      if constexpr (std::is_same_v<M, float>) {
        params[0] = lo;
        params[1] = hi;
      }
      run_unary<T>(args, simd::UnOp::Clamp, params, [lo, hi](M x) { return minimum_of(maximum_of(x, lo), hi); });
    }
  });
  return status;
}
