// cast: convert a strided tensor of one dtype into another (same dtype: a strided copy).
//
// The scalar path decodes exactly to double and rounds once (half.h), so every pair is correctly
// rounded. For the pairs cast_simd.h covers, the ISA in use converts with SIMD instead (strided rows
// in gathered blocks); the tests hold that bit-identical to the scalar path on every ISA
// (MANTISSA_ISA=scalar runs the scalar path alone).
#include <algorithm>
#include <cstring>

#include "cast_simd.h"
#include "kernel.h"
#include "strided.h"

namespace mt {
namespace {

template <class S>
S read_elem(const char* p) {
  S x;
  std::memcpy(&x, p, sizeof(S));
  return x;
}
// A bool byte other than 0/1 (possible in memory written as bytes) is true; never load it as bool.
template <>
bool read_elem<bool>(const char* p) {
  return *reinterpret_cast<const unsigned char*>(p) != 0;
}

template <class S, class D>
void cast_row(char** p, const int64_t* s, int64_t n) {
  const char* src = p[0];
  char* dst = p[1];
  for (int64_t i = 0; i < n; ++i) {
    const D y = from_double<D>(to_double<S>(read_elem<S>(src + i * s[0])));
    std::memcpy(dst + i * s[1], &y, sizeof(D));
  }
}

// A strided row through the SIMD conversion: gather a block into a contiguous buffer (unless the
// source is contiguous), convert, scatter (unless the destination is). Same bits as the contiguous
// path by construction, and far faster than the double-based scalar reference.
template <class S, class D>
void simd_strided_row(ContigCastFn simd, char** p, const int64_t* st, int64_t n) {
  constexpr int64_t block = 512;
  alignas(64) char in[block * sizeof(S)];
  alignas(64) char out[block * sizeof(D)];
  const bool src_dense = st[0] == int64_t(sizeof(S)), dst_dense = st[1] == int64_t(sizeof(D));
  for (int64_t i = 0; i < n; i += block) {
    const int64_t k = std::min(block, n - i);
    const char* src = p[0] + i * st[0];
    char* dst = p[1] + i * st[1];
    if (!src_dense) {
      for (int64_t j = 0; j < k; ++j) std::memcpy(in + j * sizeof(S), src + j * st[0], sizeof(S));
      src = in;
    }
    simd(src, dst_dense ? dst : out, k);
    if (!dst_dense) {
      for (int64_t j = 0; j < k; ++j) std::memcpy(dst + j * st[1], out + j * sizeof(D), sizeof(D));
    }
  }
}

template <class T>
void copy_row(char** p, const int64_t* s, int64_t n) {
  if (s[0] == int64_t(sizeof(T)) && s[1] == int64_t(sizeof(T))) {
    std::memmove(p[1], p[0], size_t(n) * sizeof(T));
    return;
  }
  for (int64_t i = 0; i < n; ++i) std::memcpy(p[1] + i * s[1], p[0] + i * s[0], sizeof(T));
}

}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_cast(mt_tensor* args, int32_t, const double*, int32_t, mt_error* err) {
  using namespace mt;
  mt_tensor* t[2] = {&args[0], &args[1]};
  if (!same_shape(args[0].layout, args[1].layout))
    return fail(err, MT_ERR_SHAPE, "cast: input and output shapes differ");
  const int32_t sdt = args[0].dtype, ddt = args[1].dtype;
  const int64_t sizes[2] = {itemsize(sdt), itemsize(ddt)};
  const Rows<2> rows(t, sizes);
  if (sdt == ddt) {
    dispatch_all(sdt, [&](auto s) { rows.run(copy_row<decltype(s)>); });
    return MT_OK;
  }
  dispatch_all(sdt, [&](auto s) {
    dispatch_all(ddt, [&](auto d) {
      using S = decltype(s);
      using D = decltype(d);
      const ContigCastFn simd = simd_cast_contiguous(sdt, ddt);
      if (simd == nullptr) {
        rows.run(cast_row<S, D>);
        return;
      }
      rows.run([simd](char** p, const int64_t* st, int64_t n) {
        if (st[0] == int64_t(sizeof(S)) && st[1] == int64_t(sizeof(D))) {
          simd(p[0], p[1], n);
        } else {
          simd_strided_row<S, D>(simd, p, st, n);
        }
      });
    });
  });
  return MT_OK;
}
