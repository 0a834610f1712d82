// The inner loop of im2col at stride 2 (the common downsampling convolution), where a
// scalar loop costs more than the GEMM: AVX-512 versions, chosen once by mt::isa(). Results are the
// same bits as the scalar loop (copies).
#pragma once

#include <cstdint>

namespace mt {
namespace conv {

struct Stride2 {
  // d[r dld + i] = s[r sld + 2 i] for r < rows, i < n, elements of 2 or 4 bytes.
  void (*gather16)(uint16_t* d, int64_t dld, const uint16_t* s, int64_t sld, int64_t rows, int64_t n);
  void (*gather32)(uint32_t* d, int64_t dld, const uint32_t* s, int64_t sld, int64_t rows, int64_t n);
};

// nullptr where the CPU (or MANTISSA_ISA) has no AVX-512.
const Stride2* stride2();
const Stride2* stride2_avx512();

}  // namespace conv
}  // namespace mt
