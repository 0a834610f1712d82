#include "conv2d_simd.h"

#include "isa.h"

namespace mt {
namespace conv {

const Stride2* stride2() {
  static const Stride2* chosen = isa() >= Isa::Avx512 ? stride2_avx512() : nullptr;
  return chosen;
}

}  // namespace conv
}  // namespace mt
