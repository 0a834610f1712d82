// Runtime ISA selection. Kernels are compiled for several instruction sets in one binary (never
// -march=native) and the best one the CPU supports is chosen once, at load time.
#pragma once

namespace mt {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2, Avx512Bf16 = 3 };

// The level in use. MANTISSA_ISA=scalar|avx2|avx512|avx512bf16 caps it (tests use this to run every path).
Isa isa();
const char* isa_name(Isa level);

}  // namespace mt
