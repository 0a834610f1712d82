#include "cast_simd.h"

#include "isa.h"

namespace mt {

ContigCastFn simd_cast_contiguous(int32_t src_dtype, int32_t dst_dtype) {
  switch (isa()) {
    case Isa::Avx512:
    case Isa::Avx512Bf16:
      // Deliberately not vcvtneps2bf16 even where avx512bf16 exists: it flushes subnormals to zero
      // (and ignores MXCSR), while a GPU and the reference keep them.
      return avx512_cast_contiguous(src_dtype, dst_dtype);
    case Isa::Avx2:
      return avx2_cast_contiguous(src_dtype, dst_dtype);
    case Isa::Scalar:
      break;
  }
  return nullptr;
}

}  // namespace mt
