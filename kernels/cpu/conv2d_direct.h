// Direct (implicit-GEMM) convolution for small channel counts on AVX-512: no im2col matrix, no packing
// pass, no col2im. conv2d_direct.cc drives it; conv2d_direct_avx512.cc holds the vector code.
//
// The trick that makes every kernel tap a fixed offset: an image's channels are copied (widened to
// float32) into a zero-padded "phase" buffer, one plane per channel and stride phase, [c][sh][sw][hq][wq]
// where phase (a, b) holds the padded input rows a, a + sh, ... and columns b, b + sw, .... Output
// position (oh, ow) and tap (kh, kw) then read phase ((kh dh) % sh, (kw dw) % sw) at row
// oh + (kh dh) / sh, column ow + (kw dw) / sw: a stride-1 correlation. Numbering the positions on a
// "virtual" grid of wq columns (v = oh wq + ow; the columns ow >= OW are computed and thrown away) makes
// the offset of every (position, tap) pair toff[tap] + v, so a register tile of consecutive positions
// reads one base pointer with constant displacements. The vector lanes are 16 output channels (forward,
// weight gradient) or 16 input channels (input gradient).
//
// The input gradient of a strided convolution splits the same way by the phase of dx: phase (a, b) of
// the padded dx is a stride-1 correlation of the zero-padded output gradient with the taps kh, kw for
// which (kh dh) % sh == a and (kw dw) % sw == b, so no col2im scatter is needed and each dx element is
// one float32 chain rounded once.
#pragma once

#include <cstdint>

namespace mt {
namespace conv {

// Lanes a vector: channels go 16 at a time.
constexpr int kLanes = 16;

struct FillSpec {
  const void* src;  // channel 0 of one image
  int32_t kind;     // 0 float32, 1 float16 bits, 2 bfloat16 bits
  int64_t cs, hs, ws;  // element strides of src: channel, row, column
  int64_t channels, h, w;
  int64_t sh, sw, ph, pw;  // phase steps and the zeros before row 0 / column 0
  int64_t hq, wq;          // a phase plane
  int64_t total;           // floats of dst to write: the planes, then zeros
  float* dst;              // [channels][sh][sw][hq][wq], then total - that many zeros
  float* row;              // scratch of row_floats(w, pw, sw, wq) floats
};

inline int64_t row_floats(int64_t w, int64_t pw, int64_t sw, int64_t wq) {
  const int64_t a = pw + w, b = sw * (wq + 1);
  return (a > b ? a : b) + 64;
}

// Tiles of positions rounded up to this many: out must hold round_up(v, kTileStep) * 16 floats.
constexpr int64_t kTileStep = 4;

struct Direct {
  // dst[((c sh + a) sw + b) hq wq + r wq + q] = src[c, r sh + a - ph, q sw + b - pw] (0 outside).
  void (*fill)(const FillSpec& s);
  // out[v 16 + l] = sum over k < K of wpk[k 16 + l] plane[toff[k] + v], for v < round_up(V, kTileStep):
  // one float32 fma chain over k from 0.
  void (*tiles)(const float* plane, const int32_t* toff, const float* wpk, int64_t K, int64_t V, float* out);
  // acc[k 16 + l] += sum over r < rows, q < cols of gyt[(r cols + q) 16 + l] plane[toff[k] + r wq + q],
  // for k < K: each a float32 fma chain in (r, q) order continuing from acc.
  void (*taps)(const float* plane, const int32_t* toff, int64_t K, const float* gyt, int64_t rows, int64_t cols,
               int64_t wq, float* acc);
  // Lanes l < lanes of out[(r wq + q) 16 + l] for r < rows, q < cols, plus bias[l] (bias may be null),
  // rounded once to `kind` (as FillSpec) at dst + l ls + r rs + q cs (elements).
  void (*store)(const float* out, int64_t wq, int64_t rows, int64_t cols, int64_t lanes, const float* bias, void* dst,
                int32_t kind, int64_t ls, int64_t rs, int64_t cs);
  // The transpose the other way, widened: dst[(r cols + q) 16 + l] = src[l ls + r rs + q cs] for l < lanes,
  // 0 for lanes <= l < 16.
  void (*gather)(const void* src, int32_t kind, int64_t lanes, int64_t ls, int64_t rows, int64_t cols, int64_t rs,
                 int64_t cs, float* dst);
};

// nullptr where the CPU (or MANTISSA_ISA) has no AVX-512.
const Direct* direct();
const Direct* direct_avx512();

}  // namespace conv
}  // namespace mt
