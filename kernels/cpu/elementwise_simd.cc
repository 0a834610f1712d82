// Picks the elementwise SIMD table for the ISA chosen at load time.
#include "elementwise_simd.h"

#include "isa.h"
#include "mantissa/abi.h"

namespace mt {
namespace simd {

const Table* table() {
  static const Table* const chosen = [] {
    switch (isa()) {
      case Isa::Avx512:
      case Isa::Avx512Bf16:
        return table_avx512();
      case Isa::Avx2:
        return table_avx2();
      case Isa::Scalar:
        break;
    }
    return static_cast<const Table*>(nullptr);
  }();
  return chosen;
}

int kind_of(int32_t dtype) {
  switch (dtype) {
    case MT_FLOAT32:
      return kF32;
    case MT_FLOAT16:
      return kF16;
    case MT_BFLOAT16:
      return kBF16;
  }
  return -1;
}

}  // namespace simd
}  // namespace mt
