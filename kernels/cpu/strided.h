// Iteration over several tensors that share one shape (inputs already broadcast by the caller, with
// stride 0 on broadcast dims). Dims are coalesced, the innermost dim becomes a row, and the row
// function receives byte pointers and byte strides so it can take a SIMD path when the row is
// contiguous (stride == itemsize) or a scalar broadcast (stride == 0).
#pragma once

#include <algorithm>
#include <cstdint>

#include "mantissa/abi.h"
#include "parallel.h"

namespace mt {

template <int N>
struct Rows {
  int ndim = 0;
  int64_t shape[MT_MAX_DIMS];
  int64_t strides[N][MT_MAX_DIMS];  // bytes
  char* base[N];
  int64_t numel = 1;

  // `tensors` all have the shape of tensors[0].layout.
  Rows(mt_tensor* const* tensors, const int64_t* itemsizes) {
    const mt_layout& ref = tensors[0]->layout;
    for (int t = 0; t < N; ++t) {
      base[t] = static_cast<char*>(tensors[t]->data) + tensors[t]->layout.offset * itemsizes[t];
    }
    for (int d = 0; d < ref.ndim; ++d) numel *= ref.shape[d];
    for (int d = 0; d < ref.ndim; ++d) {
      if (ref.shape[d] == 1) continue;
      // Merge with the previous kept dim when every tensor is contiguous across the pair.
      bool merge = ndim > 0;
      for (int t = 0; t < N && merge; ++t) {
        merge = strides[t][ndim - 1] == tensors[t]->layout.strides[d] * itemsizes[t] * ref.shape[d];
      }
      if (merge) {
        shape[ndim - 1] *= ref.shape[d];
        for (int t = 0; t < N; ++t) strides[t][ndim - 1] = tensors[t]->layout.strides[d] * itemsizes[t];
      } else {
        shape[ndim] = ref.shape[d];
        for (int t = 0; t < N; ++t) strides[t][ndim] = tensors[t]->layout.strides[d] * itemsizes[t];
        ++ndim;
      }
    }
    if (ndim == 0) {
      shape[0] = 1;
      for (int t = 0; t < N; ++t) strides[t][0] = itemsizes[t];
      ndim = 1;
    }
  }

  // row(ptrs, byte_strides, n) is called on consecutive segments of the flattened index space.
  template <class RowFn>
  void run(RowFn&& row, int64_t grain = 1 << 15) const {
    if (numel == 0) return;
    parallel_for(numel, grain, [&](int64_t begin, int64_t end) {
      int64_t idx[MT_MAX_DIMS];
      int64_t rest = begin;
      for (int d = ndim - 1; d >= 0; --d) {
        idx[d] = rest % shape[d];
        rest /= shape[d];
      }
      const int64_t inner = shape[ndim - 1];
      int64_t inner_stride[N];
      for (int t = 0; t < N; ++t) inner_stride[t] = strides[t][ndim - 1];
      int64_t pos = begin;
      while (pos < end) {
        char* ptr[N];
        for (int t = 0; t < N; ++t) {
          ptr[t] = base[t];
          for (int d = 0; d < ndim; ++d) ptr[t] += idx[d] * strides[t][d];
        }
        const int64_t n = std::min(inner - idx[ndim - 1], end - pos);
        row(ptr, inner_stride, n);
        pos += n;
        idx[ndim - 1] += n;
        for (int d = ndim - 1; d > 0 && idx[d] == shape[d]; --d) {
          idx[d] = 0;
          ++idx[d - 1];
        }
      }
    });
  }
};

}  // namespace mt
