// AVX-512 GEMM pieces: an 8 x 32 float32 micro-kernel (16 accumulators in zmm registers) and, on
// avx512_bf16, an 8 x 32 bfloat16 kernel on vdpbf16ps. 8 rows measured best on Zen 4 (of 6, 8, 10, 12 and
// 14: 93 % of peak against 91 % for 14 x 32, float32 and bfloat16 alike).
//
// vdpbf16ps (what oneDNN and so PyTorch use for bfloat16 matmul on this CPU) multiplies pairs of
// bfloat16 (products are exact in float32) and adds them to the float32 accumulator: odd element of
// the pair first, then the even one, each add rounded to nearest even. It ignores MXCSR: bfloat16
// subnormal inputs are read as zero (DAZ) and subnormal float32 results are flushed to zero (FTZ). So
// on this path a subnormal bfloat16 input (|x| < 2^-126) contributes nothing, and a sum that falls
// below 2^-126 in magnitude becomes ±0; for normal values the result is within the usual float32
// accumulation error of the exact one, but not bit-identical to the float32 path (pairs, order).
// Every other path widens bfloat16 exactly and keeps subnormals.
//
// Following the SIMD file rule: every header first, then the target pragma, then only functions in an
// anonymous namespace plus the entry points, which gemm.cc calls after checking mt::isa().
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "half.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace mt {
namespace gemm {
namespace {

struct Vec {
  static constexpr int W = 16;
  using F = __m512;
  static F zero() { return _mm512_setzero_ps(); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static F set1(float s) { return _mm512_set1_ps(s); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static float fmaf(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static void store_f16(char* p, F v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  // Round to nearest even in integer arithmetic (vcvtneps2bf16 would flush subnormals), NaN made quiet.
  static void store_bf16(char* p, F v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i high = _mm512_srli_epi32(u, 16);
    const __m512i lsb = _mm512_and_si512(high, _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x40));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet)));
  }
  static uint16_t f32_to_f16(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }
  static uint16_t f32_to_bf16(float f) { return float_to_bf16(f).bits; }
  static F load_f16(const char* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static F load_bf16(const char* p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }
  static float bf16_to_f32(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

constexpr int MR = 8;

#include "gemm_simd.inc"

// ---- bfloat16 pairs for vdpbf16ps: element (row r, k-pair p) is the 32-bit pair (k = 2p, 2p + 1).

uint16_t bits_at(const char* base, int64_t index) {
  uint16_t h;
  std::memcpy(&h, base + index * 2, 2);
  return h;
}

// Copies `count` 32-bit words (bfloat16 pairs) from src to dst[t * step], 16 at a time through a register.
void scatter_words(const char* src, int64_t count, uint32_t* dst, int64_t step) {
  alignas(64) uint32_t w[16];
  int64_t t = 0;
  for (; t + 16 <= count; t += 16) {
    _mm512_store_si512(w, _mm512_loadu_si512(src + t * 4));
    for (int q = 0; q < 16; ++q) dst[(t + q) * step] = w[q];
  }
  for (; t < count; ++t) std::memcpy(dst + t * step, src + t * 4, 4);
}

void pack_a_pairs(Src, Block a, int64_t m, int64_t k, void* dst) {
  uint16_t* out = static_cast<uint16_t*>(dst);
  const char* base = static_cast<const char*>(a.base);
  const int64_t kp = (k + 1) / 2;
  for (int64_t i0 = 0; i0 < m; i0 += MR) {
    const int rows = int(min64(MR, m - i0));
    if (a.cs == 1) {
      // Row-major A: each pair is one aligned-or-not 32-bit word of a row.
      const int64_t whole = k / 2;
      for (int r = 0; r < rows; ++r) {
        const char* row = base + (i0 + r) * a.rs * 2;
        scatter_words(row, whole, reinterpret_cast<uint32_t*>(out) + r, MR);
        if (k % 2 != 0) {
          out[(whole * MR + r) * 2] = bits_at(row, k - 1);
          out[(whole * MR + r) * 2 + 1] = 0;
        }
      }
      for (int64_t p = 0; p < kp; ++p)
        for (int r = rows; r < MR; ++r) out[(p * MR + r) * 2] = out[(p * MR + r) * 2 + 1] = 0;
      out += kp * MR * 2;
      continue;
    }
    for (int64_t p = 0; p < kp; ++p) {
      uint16_t* o = out + p * MR * 2;
      const int64_t k0 = 2 * p;
      for (int r = 0; r < rows; ++r) {
        const int64_t row = (i0 + r) * a.rs;
        o[2 * r] = bits_at(base, row + k0 * a.cs);
        o[2 * r + 1] = k0 + 1 < k ? bits_at(base, row + (k0 + 1) * a.cs) : 0;
      }
      for (int r = rows; r < MR; ++r) o[2 * r] = o[2 * r + 1] = 0;
    }
    out += kp * MR * 2;
  }
}

void pack_b_pairs(Src, Block b, int64_t k, int64_t n, void* dst) {
  uint16_t* out = static_cast<uint16_t*>(dst);
  const char* base = static_cast<const char*>(b.base);
  const int64_t kp = (k + 1) / 2;
  // Interleave two rows of 32 elements: lo takes columns 0..15, hi 16..31.
  alignas(64) uint16_t lo_idx[32], hi_idx[32];
  for (int c = 0; c < 16; ++c) {
    lo_idx[2 * c] = uint16_t(c);
    lo_idx[2 * c + 1] = uint16_t(32 + c);
    hi_idx[2 * c] = uint16_t(16 + c);
    hi_idx[2 * c + 1] = uint16_t(48 + c);
  }
  const __m512i lo = _mm512_load_si512(lo_idx), hi = _mm512_load_si512(hi_idx);
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    const int cols = int(min64(NR, n - j0));
    if (b.rs == 1 && cols == NR) {
      // Row-major B^T (linear's weight): each pair is one 32-bit word of a weight row.
      const int64_t whole = k / 2;
      for (int c = 0; c < NR; ++c) {
        const char* col = base + (j0 + c) * b.cs * 2;
        scatter_words(col, whole, reinterpret_cast<uint32_t*>(out) + c, NR);
        if (k % 2 != 0) {
          out[(whole * NR + c) * 2] = bits_at(col, k - 1);
          out[(whole * NR + c) * 2 + 1] = 0;
        }
      }
      out += kp * NR * 2;
      continue;
    }
    for (int64_t p = 0; p < kp; ++p) {
      uint16_t* o = out + p * NR * 2;
      const int64_t k0 = 2 * p;
      if (b.cs == 1 && cols == NR) {
        const __m512i r0 = _mm512_loadu_si512(base + (k0 * b.rs + j0) * 2);
        const __m512i r1 = k0 + 1 < k ? _mm512_loadu_si512(base + ((k0 + 1) * b.rs + j0) * 2) : _mm512_setzero_si512();
        _mm512_storeu_si512(o, _mm512_permutex2var_epi16(r0, lo, r1));
        _mm512_storeu_si512(o + 32, _mm512_permutex2var_epi16(r0, hi, r1));
        continue;
      }
      for (int c = 0; c < cols; ++c) {
        const int64_t col = (j0 + c) * b.cs;
        o[2 * c] = bits_at(base, k0 * b.rs + col);
        o[2 * c + 1] = k0 + 1 < k ? bits_at(base, (k0 + 1) * b.rs + col) : 0;
      }
      for (int c = cols; c < NR; ++c) o[2 * c] = o[2 * c + 1] = 0;
    }
    out += kp * NR * 2;
  }
}

void ukernel_dot(int64_t kp, const uint32_t* a, const uint16_t* b, float* c, int64_t ldc, bool load) {
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    acc0[i] = load ? _mm512_loadu_ps(c + i * ldc) : _mm512_setzero_ps();
    acc1[i] = load ? _mm512_loadu_ps(c + i * ldc + 16) : _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kp; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 32);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512bh ai = (__m512bh)_mm512_set1_epi32(int(a[i]));
      acc0[i] = _mm512_dpbf16_ps(acc0[i], b0, ai);
      acc1[i] = _mm512_dpbf16_ps(acc1[i], b1, ai);
    }
    a += MR;
    b += NR * 2;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm512_storeu_ps(c + i * ldc, acc0[i]);
    _mm512_storeu_ps(c + i * ldc + 16, acc1[i]);
  }
}

void macro_dot(int64_t m, int64_t n, int64_t k, const void* ap, const void* bp, float* c, int64_t ldc,
               bool load) {
  const int64_t kp = (k + 1) / 2;
  macro_with(
      [kp](int64_t, const char* a, const char* b, float* ct, int64_t ld, bool ld_c) {
        ukernel_dot(kp, reinterpret_cast<const uint32_t*>(a), reinterpret_cast<const uint16_t*>(b), ct, ld, ld_c);
      },
      m, n, k, kp * MR * 4, kp * NR * 4, static_cast<const char*>(ap), static_cast<const char*>(bp), c, ldc,
      load);
}

}  // namespace

// Blocking, measured on Zen 4 (32 KiB L1d, 1 MiB L2 per core, 32 MiB L3) by CPU time, 1 thread: long k
// runs win (fewer round trips of the C tile, whose rows are in memory): a 112 x 1024 float32 block of A
// (448 KiB) in L2, the 1024 x 1024 block of B (4 MiB, L3) streamed by micro-panels from L2; 92 % of peak
// against 85 % with the textbook 280 x 256 (B micro-panel in L1), for 14 x 32 tiles. bfloat16 (2 bytes an element, pairs)
// takes k = 2048 (about 90 % of the vdpbf16ps peak, against 76 % at k = 384). The results do not depend
// on these numbers.
const Kernels* kernels_avx512(Src) {
  static const Kernels k{MR, NR, MR * 14, 1024, 1024, pack_a, pack_b, macro_f32, finish};
  return &k;
}

const Kernels* kernels_avx512bf16() {
  static const Kernels k{MR, NR, MR * 14, 2048, 1024, pack_a_pairs, pack_b_pairs, macro_dot, finish};
  return &k;
}

}  // namespace gemm
}  // namespace mt
