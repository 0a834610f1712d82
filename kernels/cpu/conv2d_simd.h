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
  // One kernel tap's im2col rows for `count` whole images: image i's output plane (oh rows of ow)
  // at d + i dimg, its input at s + i simg (row r's first element, for column 0, at r sld, column o
  // at 2 o). Rows outside [v0, v1) and columns outside [lo, hi) are 0 (padding).
  void (*planes16)(uint16_t* d, int64_t dimg, const uint16_t* s, int64_t simg, int64_t sld, int64_t count,
                   int64_t oh, int64_t v0, int64_t v1, int64_t ow, int64_t lo, int64_t hi);
  void (*planes32)(uint32_t* d, int64_t dimg, const uint32_t* s, int64_t simg, int64_t sld, int64_t count,
                   int64_t oh, int64_t v0, int64_t v1, int64_t ow, int64_t lo, int64_t hi);
  // im2col straight into a packed GEMM B panel of nr columns (nr a multiple of 16; gemm::PackB): for
  // r < rows and c < nr, d[r nr + c] = x[base[c] + toff[r]] when 0 <= ih[c] + tih[r] < h and 0 <=
  // iw[c] + tiw[r] < w, else 0 (padding, and the columns past the matrix, whose ih is out of range).
  void (*panel32)(float* d, int nr, const float* x, const int32_t* base, const int32_t* ih, const int32_t* iw,
                  const int32_t* toff, const int32_t* tih, const int32_t* tiw, int64_t rows, int32_t h, int32_t w);
};

// nullptr where the CPU (or MANTISSA_ISA) has no AVX-512.
const Stride2* stride2();
const Stride2* stride2_avx512();

}  // namespace conv
}  // namespace mt
