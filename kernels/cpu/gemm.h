// The GEMM's per-ISA pieces (packing and the register-blocked macro-kernel), shared by the driver in
// gemm.cc and the implementations in gemm_scalar.cc, gemm_avx2.cc and gemm_avx512.cc.
//
// Numerics, the same on every path: each output element is one float32 fused multiply-add chain over
// k = 0, 1, ..., K-1 starting from 0 (float16/bfloat16 inputs are widened exactly while packing), then
// alpha * acc + beta * C, rounded once to the output dtype. Packed blocks hand the chain over through a
// float32 tile, so the bits do not depend on the cache blocking, the thread count or the instruction
// set. The one exception is bfloat16 on avx512_bf16 (vdpbf16ps), see gemm_avx512.cc.
#pragma once

#include <cstdint>

namespace mt {
namespace gemm {

enum class Src { F32 = 0, F16 = 1, BF16 = 2 };

// A strided 2-D source block: element (i, j) at base + (i * rs + j * cs) * itemsize.
struct Block {
  const void* base;
  int64_t rs, cs;
};

struct Kernels {
  int mr, nr;      // micro-tile
  int mc, kc, nc;  // cache blocking (mc a multiple of mr, nc of nr, kc even); a packed element takes at
                   // most 4 bytes per row (or column) and k rounded up to even
  // Packs rows [0, m) x k-range [0, k) of A into panels of mr rows (zero padded), k-major.
  void (*pack_a)(Src src, Block a, int64_t m, int64_t k, void* dst);
  // Packs k-range [0, k) x columns [0, n) of B into panels of nr columns (zero padded), k-major.
  void (*pack_b)(Src src, Block b, int64_t k, int64_t n, void* dst);
  // c[0..m) x [0..n) (float32, row stride ldc) = (load ? c : 0) + packed A * packed B over k.
  void (*macro)(int64_t m, int64_t n, int64_t k, const void* ap, const void* bp, float* c, int64_t ldc,
                bool load);
  // out[i, j] = round(alpha * w[i, j] + beta * out[i, j]) for a float32 block w (row stride ldw) and an
  // output of the src dtype at `out` with element strides rs, cs (beta = 0: out is not read).
  void (*finish)(Src dst, const float* w, int64_t ldw, int64_t m, int64_t n, void* out, int64_t rs, int64_t cs,
                 float alpha, float beta);
};

const Kernels* kernels_scalar(Src src);
const Kernels* kernels_avx2(Src src);
const Kernels* kernels_avx512(Src src);
const Kernels* kernels_avx512bf16();  // bfloat16 on vdpbf16ps (avx512_bf16 only)

// For other kernels (conv2d): c = alpha * a b + beta * c, with the matmul kernel's numerics and
// threading (run from inside a parallel_for it runs on the calling thread). dtype is that of a and b
// (float32, float16, bfloat16 or float64); c has that dtype, or float32 when c_f32 (half inputs whose
// float32 partial the caller finishes, e.g. sums across calls, before its one rounding). `batch`
// products with element offsets i * bsa, i * bsb, i * bsc. c must not overlap a or b. False when the
// packing buffers could not be allocated.
struct Out {
  void* base;
  int64_t rs, cs;
};
bool product(int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Block a, Block b, Out c, double alpha,
             double beta, int64_t batch = 1, int64_t bsa = 0, int64_t bsb = 0, int64_t bsc = 0);

// B supplied already packed, for a caller that can build pack_b's layout straight from its own data
// (conv2d's im2col): fill(ctx, k0, kc, j0, nc, nr, dst) writes rows [k0, k0 + kc) x columns [j0, j0 + nc)
// of B into dst as float32 panels of nr columns, k-major (panel after panel, each kc x nr), zero padded
// to nr columns. c = a b + beta c in float32 (row stride ldc, unit column stride), one batch entry; the
// same blocking, threading and numerics as product(). float32 only. False when out of memory.
struct PackB {
  void (*fill)(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst);
  const void* ctx;
};
bool product_packed_b(int64_t m, int64_t n, int64_t k, Block a, PackB b, float* c, int64_t ldc, double beta = 0.0);

}  // namespace gemm
}  // namespace mt
