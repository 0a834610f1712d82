// The scalar table of reduce_vec.h (the reference the SIMD tables must reproduce) and the choice of
// table by mt::isa().
#include "reduce_vec.h"

#include <limits>

#include "isa.h"
#include "reduce_lanes.h"

namespace mt {
namespace {

template <class T>
typename Elem<T>::V at(const T* x, int64_t i) {
  return Elem<T>::get(reinterpret_cast<const char*>(x + i));
}

template <class T, class A>
A sum(const T* x, int64_t n) {
  return lanes_sum<A>(n, [&](int64_t i) { return A(at(x, i)); });
}

template <class T, class A>
A sumsq(const T* x, int64_t n, A mean) {
  return lanes_sum<A>(n, [&](int64_t i) {
    const A d = A(at(x, i)) - mean;
    return d * d;
  });
}

template <class T>
void widen(float* dst, const uint16_t* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = at(reinterpret_cast<const T*>(x), i);
}

template <class T, class A>
void cols(A* acc, const T* x, int64_t n, bool init) {
  if (init) {
    for (int64_t c = 0; c < n; ++c) acc[c] = A(at(x, c));
  } else {
    for (int64_t c = 0; c < n; ++c) acc[c] += A(at(x, c));
  }
}

template <class T, bool Max>
typename Elem<T>::V extreme(const T* x, int64_t n) {
  using V = typename Elem<T>::V;
  V m = at(x, 0);
  bool nan = is_nan(m);
  for (int64_t i = 1; i < n; ++i) {
    const V v = at(x, i);
    nan |= is_nan(v);
    m = (Max ? v > m : v < m) ? v : m;
  }
  return nan ? std::numeric_limits<V>::quiet_NaN() : m;
}

// Branch-free: ORs "exponent all ones" over every element.
template <class Bits, Bits Exp>
bool finite(const Bits* x, int64_t n) {
  Bits bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= Bits((x[i] & Exp) == Exp);
  return bad == 0;
}

template <class Bits, class F, Bits Exp>
bool finite_as(const F* x, int64_t n) {
  return finite<Bits, Exp>(reinterpret_cast<const Bits*>(x), n);
}

ReduceVec scalar_table() {
  ReduceVec t;
  t.sum_f32 = sum<float, float>;
  t.sum_f16 = [](const uint16_t* x, int64_t n) { return sum<f16, float>(reinterpret_cast<const f16*>(x), n); };
  t.sum_bf16 = [](const uint16_t* x, int64_t n) { return sum<bf16, float>(reinterpret_cast<const bf16*>(x), n); };
  t.sum_f64 = sum<double, double>;
  t.cols_f32 = cols<float, float>;
  t.cols_f16 = [](float* a, const uint16_t* x, int64_t n, bool init) {
    cols<f16, float>(a, reinterpret_cast<const f16*>(x), n, init);
  };
  t.cols_bf16 = [](float* a, const uint16_t* x, int64_t n, bool init) {
    cols<bf16, float>(a, reinterpret_cast<const bf16*>(x), n, init);
  };
  t.cols_f64 = cols<double, double>;
  t.sum_f32_f64 = sum<float, double>;
  t.sumsq_f32 = sumsq<float, double>;
  t.sumsq_f64 = sumsq<double, double>;
  t.sumsq_f16 = [](const uint16_t* x, int64_t n, float mean) {
    return sumsq<f16, float>(reinterpret_cast<const f16*>(x), n, mean);
  };
  t.sumsq_bf16 = [](const uint16_t* x, int64_t n, float mean) {
    return sumsq<bf16, float>(reinterpret_cast<const bf16*>(x), n, mean);
  };
  t.widen_f16 = widen<f16>;
  t.widen_bf16 = widen<bf16>;
  t.max_f32 = extreme<float, true>;
  t.min_f32 = extreme<float, false>;
  t.max_f16 = [](const uint16_t* x, int64_t n) { return extreme<f16, true>(reinterpret_cast<const f16*>(x), n); };
  t.min_f16 = [](const uint16_t* x, int64_t n) { return extreme<f16, false>(reinterpret_cast<const f16*>(x), n); };
  t.max_bf16 = [](const uint16_t* x, int64_t n) { return extreme<bf16, true>(reinterpret_cast<const bf16*>(x), n); };
  t.min_bf16 = [](const uint16_t* x, int64_t n) { return extreme<bf16, false>(reinterpret_cast<const bf16*>(x), n); };
  t.max_f64 = extreme<double, true>;
  t.min_f64 = extreme<double, false>;
  t.finite_f32 = finite_as<uint32_t, float, 0x7F800000u>;
  t.finite_f16 = finite<uint16_t, 0x7C00u>;
  t.finite_bf16 = finite<uint16_t, 0x7F80u>;
  t.finite_f64 = finite_as<uint64_t, double, 0x7FF0000000000000ull>;
  return t;
}

}  // namespace

const ReduceVec& reduce_vec() {
  static const ReduceVec table = [] {
    switch (isa()) {
      case Isa::Avx512:
      case Isa::Avx512Bf16:
        return reduce_vec_avx512();
      case Isa::Avx2:
        return reduce_vec_avx2();
      case Isa::Scalar:
        break;
    }
    return scalar_table();
  }();
  return table;
}

}  // namespace mt
