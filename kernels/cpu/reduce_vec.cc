// The scalar table of reduce_vec.h (the reference the SIMD tables must reproduce) and the choice of
// table by mt::isa().
#include "reduce_vec.h"

#include <cstring>
#include <limits>

#include "isa.h"
#include "reduce_lanes.h"

namespace mt {
namespace {

// Element i of a row of dtype T in its compute type.
template <class T>
typename Elem<T>::V at(const Stored<T>* x, int64_t i) {
  return Elem<T>::get(reinterpret_cast<const char*>(x + i));
}

template <class T, class A>
A sum(const Stored<T>* x, int64_t n) {
  return lanes_sum<A>(n, [&](int64_t i) { return A(at<T>(x, i)); });
}

template <class T, class A>
A sumsq(const Stored<T>* x, int64_t n, A mean) {
  return lanes_sum<A>(n, [&](int64_t i) {
    const A d = A(at<T>(x, i)) - mean;
    return d * d;
  });
}

template <class T, class A>
void cols(A* acc, const Stored<T>* x, int64_t n, bool init) {
  if (init) {
    for (int64_t c = 0; c < n; ++c) acc[c] = A(at<T>(x, c));
  } else {
    for (int64_t c = 0; c < n; ++c) acc[c] += A(at<T>(x, c));
  }
}

template <class T, bool Max>
typename Elem<T>::V extreme(const Stored<T>* x, int64_t n) {
  using V = typename Elem<T>::V;
  V m = at<T>(x, 0);
  bool nan = is_nan(m);
  for (int64_t i = 1; i < n; ++i) {
    const V v = at<T>(x, i);
    nan |= is_nan(v);
    m = (Max ? v > m : v < m) ? v : m;
  }
  return nan ? std::numeric_limits<V>::quiet_NaN() : m;
}

// Branch-free: ORs "exponent field all ones" (Exp, as an unsigned of the element's size) over every
// element.
template <class T, auto Exp>
bool finite(const Stored<T>* x, int64_t n) {
  using Bits = decltype(Exp);
  static_assert(sizeof(Bits) == sizeof(Stored<T>), "Exp has the element's size");
  Bits bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, x + i, sizeof(Bits));
    bad |= Bits((b & Exp) == Exp);
  }
  return bad == 0;
}

// Dtype T with var accumulating in A and the exponent field Exp.
template <class T, class A, auto Exp>
RowFns<Stored<T>, typename Elem<T>::V, A> rows() {
  using V = typename Elem<T>::V;
  return {sum<T, V>, cols<T, V>, sum<T, A>, sumsq<T, A>, extreme<T, true>, extreme<T, false>, finite<T, Exp>};
}

ReduceVec scalar_table() {
  return {rows<float, double, 0x7F800000u>(), rows<f16, float, uint16_t(0x7C00)>(),
          rows<bf16, float, uint16_t(0x7F80)>(), rows<double, double, 0x7FF0000000000000ull>()};
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
