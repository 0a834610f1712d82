// Reductions over the trailing attrs[0] dims of x (ops/reduce.ts permutes the reduced dims there, as a
// view) into a contiguous output holding the leading dims: sum, mean, var, max, min, argmax.
//
// Accumulation: half types in float32 (rounded once on store), float32 in float32 with 64 independent
// lanes and pairwise partials (reduce_vec.h, reduce_plan.h), float64 in double, int32/bool exactly in
// int64. var accumulates in double for float32/float64/int inputs (as PyTorch's CPU kernel does) and
// in float32 for half inputs, two-pass: the mean first, then the squared deviations from it.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernel.h"
#include "reduce_lanes.h"
#include "reduce_plan.h"
#include "reduce_vec.h"

namespace mt {
namespace {

template <class T>
constexpr bool kIntegral = std::is_same_v<T, int32_t> || std::is_same_v<T, bool>;
template <class T>
constexpr bool kFloatVec =
    std::is_same_v<T, float> || std::is_same_v<T, f16> || std::is_same_v<T, bf16> || std::is_same_v<T, double>;

// The accumulator of sum and mean.
template <class T>
using SumAcc = std::conditional_t<kIntegral<T>, int64_t, typename Elem<T>::V>;
// The accumulator of var.
template <class T>
using VarAcc = std::conditional_t<std::is_same_v<T, f16> || std::is_same_v<T, bf16>, float, double>;
// The float output of mean and var.
template <class T>
using FloatOut = std::conditional_t<kIntegral<T>, float, T>;

template <class T>
typename Elem<T>::V get(const char* p) {
  return Elem<T>::get(p);
}

template <class Out>
void put(char* out, int64_t m, Out v) {
  std::memcpy(out + m * int64_t(sizeof(Out)), &v, sizeof(Out));
}

// A float result in A rounded once to the output type.
template <class Out, class A>
Out round_to(A v) {
  if constexpr (std::is_same_v<Out, f16> || std::is_same_v<Out, bf16>) {
    return store<Out>(float(v));
  } else {
    return Out(v);
  }
}

template <class T>
SumAcc<T> contiguous_sum(const ReduceVec& v, const char* p, int64_t n) {
  if constexpr (kFloatVec<T>) {
    return row_fns<T>(v).sum(row_ptr<T>(p), n);
  } else {
    return lanes_sum<int64_t>(n, [&](int64_t i) { return int64_t(get<T>(p + i * int64_t(sizeof(T)))); });
  }
}

enum class SumKind { Sum, Mean };

template <class T, SumKind Kind>
struct SumOp {
  using Acc = SumAcc<T>;
  static constexpr bool kCols = true;
  const ReduceVec& vec;
  char* out;
  int64_t count;

  Acc seg(int64_t, const char* p, int64_t bs, int64_t n, int64_t) const {
    if (bs == int64_t(sizeof(T))) return contiguous_sum<T>(vec, p, n);
    return lanes_sum<Acc>(n, [&](int64_t i) { return Acc(get<T>(p + i * bs)); });
  }
  static Acc combine(Acc a, Acc b) { return a + b; }
  void cols(int64_t, Acc* acc, const char* row, int64_t w, bool init) const {
    if constexpr (kFloatVec<T>) {
      row_fns<T>(vec).cols(acc, row_ptr<T>(row), w, init);
    } else {
      for (int64_t c = 0; c < w; ++c) {
        const Acc x = Acc(get<T>(row + c * int64_t(sizeof(T))));
        acc[c] = init ? x : acc[c] + x;
      }
    }
  }
  void store(int64_t m, Acc a) const {
    if constexpr (kIntegral<T>) {
      if constexpr (Kind == SumKind::Sum) {
        put(out, m, int32_t(uint32_t(uint64_t(a))));  // int32 wrap-around, as int32 arithmetic
      } else {
        put(out, m, float(double(a) / double(count)));
      }
    } else {
      // + 0 turns a -0 sum into +0: sums start from +0, as in PyTorch.
      const Acc s = a + Acc(0);
      put(out, m, round_to<T>(Kind == SumKind::Sum ? s : s / Acc(count)));
    }
  }
};

template <class T>
constexpr bool kHalf = std::is_same_v<T, f16> || std::is_same_v<T, bf16>;

// Calls fold(values, w) on row[0..w) as plain values: half rows are widened to float first (a SIMD
// pass), so that the folding loop is a simple one the compiler can vectorise.
template <class T, class Fold>
void with_values(const ReduceVec& vec, const char* row, int64_t w, const Fold& fold) {
  if constexpr (kHalf<T>) {
    float buf[kTile];
    row_fns<T>(vec).cols(buf, row_ptr<T>(row), w, true);
    fold(static_cast<const float*>(buf), w);
  } else if constexpr (std::is_same_v<T, bool>) {
    fold(reinterpret_cast<const uint8_t*>(row), w);
  } else {
    fold(reinterpret_cast<const T*>(row), w);
  }
}

// One pass of var: Second = false sums x into the per-output means, Second = true sums (x - mean)^2
// and writes the variance.
template <class T, bool Second>
struct MomentOp {
  using Acc = VarAcc<T>;
  static constexpr bool kCols = true;
  const ReduceVec& vec;
  Acc* means;
  char* out;
  int64_t count;
  double correction;

  static Acc term(Acc x, Acc mean) {
    if constexpr (Second) {
      const Acc d = x - mean;
      return d * d;
    } else {
      return x;
    }
  }
  Acc seg(int64_t m, const char* p, int64_t bs, int64_t n, int64_t) const {
    const Acc mean = Second ? means[m] : Acc(0);
    if constexpr (kFloatVec<T>) {
      if (bs == int64_t(sizeof(T))) {
        const auto& r = row_fns<T>(vec);
        return Second ? r.sumsq(row_ptr<T>(p), n, mean) : r.sum_var(row_ptr<T>(p), n);
      }
    }
    return lanes_sum<Acc>(n, [&](int64_t i) { return term(Acc(get<T>(p + i * bs)), mean); });
  }
  static Acc combine(Acc a, Acc b) { return a + b; }
  void cols(int64_t m0, Acc* acc, const char* row, int64_t w, bool init) const {
    with_values<T>(vec, row, w, [&](const auto* x, int64_t n) {
      const Acc* mean = means + m0;
      if (init) {
        for (int64_t c = 0; c < n; ++c) acc[c] = term(Acc(x[c]), Second ? mean[c] : Acc(0));
      } else {
        for (int64_t c = 0; c < n; ++c) acc[c] += term(Acc(x[c]), Second ? mean[c] : Acc(0));
      }
    });
  }
  void store(int64_t m, Acc a) const {
    if constexpr (!Second) {
      means[m] = a / Acc(count);
    } else {
      const double dof = double(count) - correction;
      const Acc v = dof > 0 ? a / Acc(dof) : std::numeric_limits<Acc>::quiet_NaN();
      put(out, m, round_to<FloatOut<T>>(v));
    }
  }
};

template <class T, bool Max>
struct ExtremeOp {
  using V = typename Elem<T>::V;
  using Acc = V;
  static constexpr bool kCols = true;
  const ReduceVec& vec;
  char* out;

  // A NaN on either side wins (a NaN in `a` stays because nothing compares above it); one select,
  // so the column loops vectorise.
  static V combine(V a, V b) { return (Max ? b > a : b < a) || is_nan(b) ? b : a; }
  V seg(int64_t, const char* p, int64_t bs, int64_t n, int64_t) const {
    if constexpr (kFloatVec<T>) {
      if (bs == int64_t(sizeof(T))) {
        const auto& r = row_fns<T>(vec);
        return (Max ? r.max : r.min)(row_ptr<T>(p), n);
      }
    }
    V a = get<T>(p);
    for (int64_t i = 1; i < n; ++i) a = combine(a, get<T>(p + i * bs));
    return a;
  }
  void cols(int64_t, V* acc, const char* row, int64_t w, bool init) const {
    with_values<T>(vec, row, w, [&](const auto* x, int64_t n) {
      if (init) {
        for (int64_t c = 0; c < n; ++c) acc[c] = V(x[c]);
      } else {
        for (int64_t c = 0; c < n; ++c) acc[c] = combine(acc[c], V(x[c]));
      }
    });
  }
  void store(int64_t m, V a) const { put(out, m, round_to<T>(a)); }
};

// argmax: the first index of the maximum; a NaN is larger than everything and the first NaN wins.
template <class T>
struct ArgmaxOp {
  using V = typename Elem<T>::V;
  struct Acc {
    V v;
    int64_t i;
  };
  static constexpr bool kCols = false;
  const ReduceVec& vec;
  char* out;

  static bool greater(V a, V b) { return !is_nan(b) && (a > b || is_nan(a)); }
  static Acc combine(const Acc& l, const Acc& r) { return greater(r.v, l.v) ? r : l; }
  Acc seg(int64_t, const char* p, int64_t bs, int64_t n, int64_t first) const {
    if constexpr (kFloatVec<T>) {
      if (bs == int64_t(sizeof(T))) {
        // The (SIMD) maximum first, then the first position holding it.
        const V top = ExtremeOp<T, true>{vec, nullptr}.seg(0, p, bs, n, 0);
        const bool nan = is_nan(top);
        int64_t j = 0;
        while (j < n - 1) {
          const V x = get<T>(p + j * bs);
          if (nan ? is_nan(x) : x == top) break;
          ++j;
        }
        return {top, first + j};
      }
    }
    Acc a{get<T>(p), first};
    for (int64_t i = 1; i < n; ++i) {
      const V x = get<T>(p + i * bs);
      if (greater(x, a.v)) a = {x, first + i};
    }
    return a;
  }
  void store(int64_t m, const Acc& a) const { put(out, m, int32_t(a.i)); }
};

// Shared argument checks; on success sets *k to the number of reduced (trailing) dims.
mt_status check(const char* op, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, int32_t need_attrs,
                int32_t out_dtype, mt_error* err, int* k) {
  if (nargs != 2) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 2 tensors (x, out), got %d", op, nargs);
  if (nattrs < need_attrs) {
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected %d attributes, got %d", op, need_attrs, nattrs);
  }
  const mt_layout& x = args[0].layout;
  const mt_layout& o = args[1].layout;
  const double kd = attrs[0];
  if (!(kd >= 0 && kd <= x.ndim && std::floor(kd) == kd)) {
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected the reduced dim count in 0..%d, got %g", op, x.ndim, kd);
  }
  *k = int(kd);
  if (args[1].dtype != out_dtype) {
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: expected a %s output for a %s input, got %s", op, dtype_name(out_dtype),
                dtype_name(args[0].dtype), dtype_name(args[1].dtype));
  }
  bool shape_ok = o.ndim == x.ndim - *k;
  for (int d = 0; shape_ok && d < o.ndim; ++d) shape_ok = o.shape[d] == x.shape[d];
  if (!shape_ok) return fail(err, MT_ERR_SHAPE, "%s: expected the output shape to be the %d leading dims of the input", op, x.ndim - *k);
  if (!is_contiguous(o)) return fail(err, MT_ERR_SHAPE, "%s: expected a contiguous output", op);
  return MT_OK;
}

char* out_ptr(const mt_tensor& t) { return static_cast<char*>(t.data) + t.layout.offset * itemsize(t.dtype); }

int32_t sum_dtype(int32_t dt) { return dt == MT_BOOL ? MT_INT32 : dt; }
int32_t float_dtype(int32_t dt) { return dt == MT_INT32 || dt == MT_BOOL ? MT_FLOAT32 : dt; }

template <SumKind Kind>
mt_status run_sum(const char* name, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  const int32_t dt = args[0].dtype;
  int k = 0;
  const int32_t want = Kind == SumKind::Sum ? sum_dtype(dt) : float_dtype(dt);
  if (mt_status s = check(name, args, nargs, attrs, nattrs, 1, want, err, &k)) return s;
  const Plan plan = make_plan(args[0], k, true);
  char* out = out_ptr(args[1]);
  dispatch_all(dt, [&](auto t) {
    using T = decltype(t);
    run_reduce(plan, SumOp<T, Kind>{reduce_vec(), out, plan.red.numel});
  });
  return MT_OK;
}

// max, min and argmax have no value on an empty extent (ops/reduce.ts rejects it first).
mt_status check_nonempty(const char* name, const Plan& plan, mt_error* err) {
  if (plan.keep.numel > 0 && plan.red.numel == 0) {
    return fail(err, MT_ERR_SHAPE, "%s: expected a non-empty reduction, got 0 elements to reduce", name);
  }
  return MT_OK;
}

template <bool Max>
mt_status run_extreme(const char* name, mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  int k = 0;
  if (mt_status s = check(name, args, nargs, attrs, nattrs, 1, args[0].dtype, err, &k)) return s;
  const Plan plan = make_plan(args[0], k, true);
  if (mt_status s = check_nonempty(name, plan, err)) return s;
  char* out = out_ptr(args[1]);
  dispatch_all(args[0].dtype, [&](auto t) {
    using T = decltype(t);
    run_reduce(plan, ExtremeOp<T, Max>{reduce_vec(), out});
  });
  return MT_OK;
}

}  // namespace
}  // namespace mt

using mt::SumKind;

extern "C" mt_status mt_k_sum(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return mt::run_sum<SumKind::Sum>("sum", args, nargs, attrs, nattrs, err);
}

extern "C" mt_status mt_k_mean(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return mt::run_sum<SumKind::Mean>("mean", args, nargs, attrs, nattrs, err);
}

extern "C" mt_status mt_k_max(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return mt::run_extreme<true>("max", args, nargs, attrs, nattrs, err);
}

extern "C" mt_status mt_k_min(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  return mt::run_extreme<false>("min", args, nargs, attrs, nattrs, err);
}

extern "C" mt_status mt_k_argmax(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  int k = 0;
  if (mt_status s = check("argmax", args, nargs, attrs, nattrs, 1, MT_INT32, err, &k)) return s;
  const Plan plan = make_plan(args[0], k, false);
  if (mt_status s = check_nonempty("argmax", plan, err)) return s;
  if (plan.red.numel > int64_t(INT32_MAX) + 1) {
    return fail(err, MT_ERR_SHAPE, "argmax: expected at most 2^31 elements to reduce (int32 indices), got %lld",
                static_cast<long long>(plan.red.numel));
  }
  char* out = out_ptr(args[1]);
  dispatch_all(args[0].dtype, [&](auto t) {
    using T = decltype(t);
    run_reduce(plan, ArgmaxOp<T>{reduce_vec(), out});
  });
  return MT_OK;
}

extern "C" mt_status mt_k_var(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, mt_error* err) {
  using namespace mt;
  int k = 0;
  if (mt_status s = check("var", args, nargs, attrs, nattrs, 2, float_dtype(args[0].dtype), err, &k)) return s;
  const double correction = attrs[1];
  if (!(std::isfinite(correction) && correction >= 0)) {
    return fail(err, MT_ERR_INVALID_ARGUMENT, "var: expected a finite correction >= 0, got %g", correction);
  }
  const Plan plan = make_plan(args[0], k, true);
  char* out = out_ptr(args[1]);
  dispatch_all(args[0].dtype, [&](auto t) {
    using T = decltype(t);
    using A = VarAcc<T>;
    std::vector<A> means(size_t(plan.keep.numel));
    const int64_t n = plan.red.numel;
    run_reduce(plan, MomentOp<T, false>{reduce_vec(), means.data(), out, n, correction});
    run_reduce(plan, MomentOp<T, true>{reduce_vec(), means.data(), out, n, correction});
  });
  return MT_OK;
}
