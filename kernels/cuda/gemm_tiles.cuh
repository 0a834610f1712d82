// The tile arithmetic of our own GEMM kernels (gemm.cu), as __host__ __device__ code: which operand
// element each thread copies into shared memory (zero outside m, n, k), the SIMT kernel's per-thread
// product over one k-step, and the epilogue. The kernels call exactly these functions; the host test
// (test/cuda/gemm-host.cu) runs them over a whole grid, one "thread" after another with the phases in
// __syncthreads order, and compares with a plain loop, so the bounds arithmetic is checked without a GPU.
#pragma once

#include <type_traits>

#include "common.cuh"

namespace mt::cuda::gemm {

MT_HD float fma_rn(float a, float b, float c) {
#ifdef __CUDA_ARCH__
  return __fmaf_rn(a, b, c);
#else
  return std::fmaf(a, b, c);
#endif
}
MT_HD double fma_rn(double a, double b, double c) {
#ifdef __CUDA_ARCH__
  return __fma_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// One batch of a product, in elements of each operand's dtype (the Operand/Output of gemm.cuh with the
// extents). Acc is float for float32/float16/bfloat16, double for float64.
template <class Acc>
struct Args {
  const void* a;
  const void* b;
  void* c;
  int64_t m, n, k, batch;
  int64_t ars, acs, abs, brs, bcs, bbs, crs, ccs, cbs;
  Acc alpha, beta;
};

// Which element of a rows x cols tile the e-th copy is: along the axis whose stride is 1 first
// (`cols_fast`), so that neighbouring threads read neighbouring addresses. Both orders visit every
// element of the tile once.
MT_HD void tile_coord(int e, int rows, int cols, bool cols_fast, int* r, int* c) {
  if (cols_fast) {
    *r = e / cols;
    *c = e % cols;
  } else {
    *r = e % rows;
    *c = e / rows;
  }
}

// Element (i, j) of one batch entry of a strided matrix, or zero outside rows x cols.
template <class T>
MT_HD T element_or_zero(const T* base, int64_t rs, int64_t cs, int64_t i, int64_t j, int64_t rows, int64_t cols) {
  if (i < 0 || i >= rows || j < 0 || j >= cols) return T{};
  return base[i * rs + j * cs];
}

// alpha * acc + beta * c, rounded once to C: the CPU's epilogue (gemm_simd.inc finish, float64 loop).
template <class C, class Acc>
MT_HD void epilogue(C* pc, Acc acc, Acc alpha, Acc beta) {
  Acc v = acc;
  if (alpha != Acc(1)) v = alpha * v;
  if (beta != Acc(0)) v = fma_rn(beta, Acc(dload(*pc)), v);
  if constexpr (std::is_same_v<C, float> || std::is_same_v<C, double>) *pc = C(v);
  else *pc = dstore<C>(float(v));
}

// ---- the SIMT kernel: 64 x 64 outputs a block of 256 threads, 4 x 4 a thread (rows ty + 16 i, columns
// tx + 16 j: shared-memory reads without bank conflicts, stores coalesced along a row), k in steps of 16.
// Every output is one fma chain over k = 0, 1, ..., k - 1 in order: the CPU's order, so float32 and
// float64 results equal a plain loop's bit for bit.
struct Simt {
  static constexpr int BM = 64, BN = 64, BK = 16, THREADS = 256, TM = 4, TN = 4;
};

// k-major (a thread's 4 rows at one k are 16 apart); rows padded by one element so that a copy running
// down k (an operand whose unit stride is not along the tile's row) stores to distinct banks.
template <class Acc>
struct SimtSmem {
  Acc a[Simt::BK][Simt::BM + 1];
  Acc b[Simt::BK][Simt::BN + 1];
};

// Copies the A tile (rows row0.., k k0..) and the B tile (k k0.., columns col0..) of batch entry e.
template <class T, class Acc>
MT_HD void simt_load(SimtSmem<Acc>& s, const Args<Acc>& p, int64_t e, int64_t row0, int64_t col0, int64_t k0,
                     int tid) {
  const T* a = static_cast<const T*>(p.a) + e * p.abs;
  const T* b = static_cast<const T*>(p.b) + e * p.bbs;
  const bool a_k_fast = p.acs == 1;
  const bool b_n_fast = p.bcs == 1;
  for (int x = tid; x < Simt::BM * Simt::BK; x += Simt::THREADS) {
    int r, kk;
    tile_coord(x, Simt::BM, Simt::BK, a_k_fast, &r, &kk);
    s.a[kk][r] = Acc(dload(element_or_zero(a, p.ars, p.acs, row0 + r, k0 + kk, p.m, p.k)));
  }
  for (int x = tid; x < Simt::BK * Simt::BN; x += Simt::THREADS) {
    int kk, c;
    tile_coord(x, Simt::BK, Simt::BN, b_n_fast, &kk, &c);
    s.b[kk][c] = Acc(dload(element_or_zero(b, p.brs, p.bcs, k0 + kk, col0 + c, p.k, p.n)));
  }
}

// kmax = min(BK, k - k0): the steps past k are not taken at all (adding a padded 0 would turn an
// accumulated -0 into +0).
template <class Acc>
MT_HD void simt_step(const SimtSmem<Acc>& s, Acc (&acc)[Simt::TM][Simt::TN], int kmax, int tid) {
  const int ty = tid / 16, tx = tid % 16;
  for (int kk = 0; kk < kmax; ++kk) {
    Acc av[Simt::TM], bv[Simt::TN];
    for (int i = 0; i < Simt::TM; ++i) av[i] = s.a[kk][ty + 16 * i];
    for (int j = 0; j < Simt::TN; ++j) bv[j] = s.b[kk][tx + 16 * j];
    for (int i = 0; i < Simt::TM; ++i)
      for (int j = 0; j < Simt::TN; ++j) acc[i][j] = fma_rn(av[i], bv[j], acc[i][j]);
  }
}

template <class C, class Acc>
MT_HD void simt_store(const Args<Acc>& p, const Acc (&acc)[Simt::TM][Simt::TN], int64_t e, int64_t row0,
                      int64_t col0, int tid) {
  const int ty = tid / 16, tx = tid % 16;
  C* c = static_cast<C*>(p.c) + e * p.cbs;
  for (int i = 0; i < Simt::TM; ++i) {
    const int64_t r = row0 + ty + 16 * i;
    if (r >= p.m) continue;
    for (int j = 0; j < Simt::TN; ++j) {
      const int64_t col = col0 + tx + 16 * j;
      if (col < p.n) epilogue<C, Acc>(c + r * p.crs + col * p.ccs, acc[i][j], p.alpha, p.beta);
    }
  }
}

// ---- the tensor-core kernel (float16/bfloat16): 64 x 64 outputs a block of 4 warps, each warp 32 x 32
// (2 x 2 WMMA fragments of 16 x 16), k in steps of 32. Tiles are kept as raw 16-bit patterns, rows padded
// by 8 elements (16 bytes) against bank conflicts while keeping every fragment pointer 32-byte aligned.
struct Wmma {
  static constexpr int BM = 64, BN = 64, BK = 32, THREADS = 128;
  static constexpr int AP = BK + 8, BP = BN + 8, CP = BN + 4;  // padded row lengths (elements)
};

struct WmmaSmem {
  alignas(128) uint16_t a[Wmma::BM][Wmma::AP];  // m x k, row-major
  alignas(128) uint16_t b[Wmma::BK][Wmma::BP];  // k x n, row-major
  alignas(128) float c[Wmma::BM][Wmma::CP];     // the accumulators, for the epilogue
};

// Eight 16-bit elements (16 bytes) at once; both addresses 16-byte aligned.
MT_HD void copy8(uint16_t* dst, const void* src) {
#ifdef __CUDA_ARCH__
  *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
#else
  std::memcpy(dst, src, 16);
#endif
}

// The 8 elements (i, j0 .. j0 + 7) of a matrix whose unit stride is along j, into dst: one 16-byte load
// when they are all inside and aligned, else one by one with zeros outside.
template <class T>
MT_HD void load8(uint16_t* dst, const T* base, int64_t rs, int64_t i, int64_t j0, int64_t rows, int64_t cols) {
  if (i < rows && j0 + 8 <= cols) {
    const T* src = base + i * rs + j0;
    if ((reinterpret_cast<uintptr_t>(src) & 15) == 0) {
      copy8(dst, src);
      return;
    }
  }
  for (int u = 0; u < 8; ++u) dst[u] = element_or_zero(base, rs, int64_t(1), i, j0 + u, rows, cols).bits;
}

// T is f16 or bf16 (a struct of uint16_t bits); zero outside the matrices, so padded k adds 0 x 0. An
// operand with unit stride along the tile's rows (A along k, B along n: row-major) is copied 8 elements
// a thread (16-byte loads where aligned); any other is copied one element a thread, neighbouring threads
// along its unit-stride axis. Tile rows are 16-byte aligned (AP and BP are multiples of 8).
template <class T>
MT_HD void wmma_load(WmmaSmem& s, const Args<float>& p, int64_t e, int64_t row0, int64_t col0, int64_t k0,
                     int tid) {
  const T* a = static_cast<const T*>(p.a) + e * p.abs;
  const T* b = static_cast<const T*>(p.b) + e * p.bbs;
  if (p.acs == 1) {
    constexpr int chunks = Wmma::BK / 8;
    for (int x = tid; x < Wmma::BM * chunks; x += Wmma::THREADS) {
      const int r = x / chunks, kk = (x % chunks) * 8;
      load8(&s.a[r][kk], a, p.ars, row0 + r, k0 + kk, p.m, p.k);
    }
  } else {
    for (int x = tid; x < Wmma::BM * Wmma::BK; x += Wmma::THREADS) {
      int r, kk;
      tile_coord(x, Wmma::BM, Wmma::BK, false, &r, &kk);
      s.a[r][kk] = element_or_zero(a, p.ars, p.acs, row0 + r, k0 + kk, p.m, p.k).bits;
    }
  }
  if (p.bcs == 1) {
    constexpr int chunks = Wmma::BN / 8;
    for (int x = tid; x < Wmma::BK * chunks; x += Wmma::THREADS) {
      const int kk = x / chunks, c = (x % chunks) * 8;
      load8(&s.b[kk][c], b, p.brs, k0 + kk, col0 + c, p.k, p.n);
    }
  } else {
    for (int x = tid; x < Wmma::BK * Wmma::BN; x += Wmma::THREADS) {
      int kk, c;
      tile_coord(x, Wmma::BK, Wmma::BN, false, &kk, &c);
      s.b[kk][c] = element_or_zero(b, p.brs, p.bcs, k0 + kk, col0 + c, p.k, p.n).bits;
    }
  }
}

// After the accumulators are in s.c: each thread finishes elements tid, tid + 128, ... of the tile
// (consecutive threads along a row of C).
template <class C>
MT_HD void wmma_store(const WmmaSmem& s, const Args<float>& p, int64_t e, int64_t row0, int64_t col0, int tid) {
  C* c = static_cast<C*>(p.c) + e * p.cbs;
  for (int x = tid; x < Wmma::BM * Wmma::BN; x += Wmma::THREADS) {
    const int r = x / Wmma::BN, col = x % Wmma::BN;
    if (row0 + r < p.m && col0 + col < p.n)
      epilogue<C, float>(c + (row0 + r) * p.crs + (col0 + col) * p.ccs, s.c[r][col], p.alpha, p.beta);
  }
}

}  // namespace mt::cuda::gemm
