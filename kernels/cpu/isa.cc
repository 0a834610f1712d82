#include "isa.h"

#include <cstdlib>
#include <cstring>

namespace mt {

namespace {

Isa detect() {
  __builtin_cpu_init();
  Isa best = Isa::Scalar;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
    best = Isa::Avx2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
      best = Isa::Avx512;
      if (__builtin_cpu_supports("avx512bf16")) best = Isa::Avx512Bf16;
    }
  }
  const char* cap = std::getenv("MANTISSA_ISA");
  if (cap != nullptr) {
    for (int level = 0; level <= int(Isa::Avx512Bf16); ++level) {
      if (std::strcmp(cap, isa_name(Isa(level))) == 0 && level < int(best)) best = Isa(level);
    }
  }
  return best;
}

}  // namespace

Isa isa() {
  static const Isa level = detect();
  return level;
}

const char* isa_name(Isa level) {
  switch (level) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx512Bf16:
      return "avx512bf16";
  }
  return "scalar";
}

}  // namespace mt

extern "C" const char* mt_isa(void) { return mt::isa_name(mt::isa()); }
