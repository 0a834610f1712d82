// cuBLASLt, loaded at run time (cublaslt.cu). This header holds the host-only decisions, as inline
// functions the host test (test/cuda/gemm-host.cu) runs: where the library is looked for, and whether a
// strided product can be handed to cuBLASLt (and how).
//
// Layout choice: cuBLASLt is used in its default column-major order only (CUBLASLT_ORDER_COL, which every
// algorithm supports), with transposes. Our C is usually row-major; a row-major m x n matrix is the
// column-major n x m matrix C^T, and C^T = B^T A^T. So when C has unit column stride the problem is
// swapped (m <-> n, A <-> B, each operand's two strides exchanged) and handed over as the column-major
// product of B^T and A^T; when C has unit row stride it is handed over as is. Each operand of the
// (possibly swapped) product is then column-major (unit row stride: CUBLAS_OP_N, ld = column stride) or
// row-major (unit column stride: CUBLAS_OP_T of its column-major transpose, ld = row stride); anything
// else (both strides > 1, a leading dimension shorter than the other extent, zero strides) is not
// expressible and goes to our own kernels.
#pragma once

#include <glob.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gemm.cuh"

namespace mt::cuda::gemm::lt {

// One operand as cuBLASLt sees it: the stored column-major matrix (rows x cols, leading dimension ld)
// and whether the product uses its transpose.
struct Mat {
  bool ok;
  bool trans;
  int64_t rows, cols, ld;
};

// A rows x cols operand with element (i, j) at i * rs + j * cs, used as op(X) of extent rows x cols.
// A size-1 axis has no meaningful stride, so any stride there is accepted.
inline Mat operand_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (rs == 1 || rows == 1) {
    const int64_t ld = cols == 1 ? rows : cs;
    if (ld >= rows && ld >= 1) return Mat{true, false, rows, cols, ld};
  }
  if (cs == 1 || cols == 1) {
    const int64_t ld = rows == 1 ? cols : rs;
    if (ld >= cols && ld >= 1) return Mat{true, true, cols, rows, ld};
  }
  return Mat{false, false, 0, 0, 0};
}

// The column-major problem handed to cuBLASLt: D (m x n) = op(A) (m x k) op(B) (k x n), batched.
struct Plan {
  bool ok;
  bool swapped;  // computed as C^T = B^T A^T
  int64_t m, n, k;
  Mat a, b, c;
  const void* pa;
  const void* pb;
  int64_t bsa, bsb, bsc;
};

inline Plan plan_as(bool swap, int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c) {
  Plan p{};
  p.swapped = swap;
  p.k = k;
  if (swap) {
    p.m = n;
    p.n = m;
    p.a = operand_layout(n, k, b.cs, b.rs);  // B^T: n x k
    p.b = operand_layout(k, m, a.cs, a.rs);  // A^T: k x m
    p.c = operand_layout(n, m, c.cs, c.rs);  // C^T
    p.pa = b.base;
    p.pb = a.base;
    p.bsa = b.bs;
    p.bsb = a.bs;
  } else {
    p.m = m;
    p.n = n;
    p.a = operand_layout(m, k, a.rs, a.cs);
    p.b = operand_layout(k, n, b.rs, b.cs);
    p.c = operand_layout(m, n, c.rs, c.cs);
    p.pa = a.base;
    p.pb = b.base;
    p.bsa = a.bs;
    p.bsb = b.bs;
  }
  p.bsc = c.bs;
  // D is C's layout and cannot be transposed (CUBLASLT_MATMUL_DESC_TRANSC supports only CUBLAS_OP_N).
  p.ok = p.a.ok && p.b.ok && p.c.ok && !p.c.trans;
  return p;
}

inline Plan plan(int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, int64_t batch) {
  constexpr int64_t kMax = 0x7FFFFFFF;  // extents and batch count are int32 in cuBLASLt
  if (m > kMax || n > kMax || k > kMax || batch > kMax || m <= 0 || n <= 0 || k <= 0 || batch <= 0) return Plan{};
  // Batch entries of C must not overlap (a zero stride would make them race).
  if (batch > 1 && c.bs == 0) return Plan{};
  // Row-major C (unit column stride) is tried swapped first: C^T = B^T A^T is column-major.
  const bool first = c.cs == 1 && c.rs != 1;
  const Plan p = plan_as(first, m, n, k, a, b, c);
  return p.ok ? p : plan_as(!first, m, n, k, a, b, c);
}

// Where libcublasLt is looked for, in order. MANTISSA_CUBLASLT names the one file to load when it is a
// path (then nothing else is tried); "0" disables cuBLASLt (an empty list). `getenv_fn` is getenv but
// replaceable, for the host test.
template <class Getenv>
std::vector<std::string> candidates(Getenv getenv_fn, bool with_globs = true) {
  std::vector<std::string> out;
  const char* forced = getenv_fn("MANTISSA_CUBLASLT");
  if (forced != nullptr && forced[0] != '\0') {
    if (std::string(forced) == "0") return out;
    if (std::string(forced) != "1") {
      out.push_back(forced);
      return out;
    }
  }
  static const char* const kNames[] = {"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11",
                                       "libcublasLt.so"};
  auto in_dir = [&](const std::string& dir) {
    for (const char* name : kNames) out.push_back(dir + "/" + name);
  };
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    const char* v = getenv_fn(var);
    if (v != nullptr && v[0] != '\0') in_dir(std::string(v) + "/lib64");
  }
  in_dir("/usr/local/cuda/lib64");
  for (const char* name : kNames) out.push_back(name);  // the loader's own search path
  if (!with_globs) return out;
  // Python wheels: nvidia-cublas-cu* puts the library in site-packages/nvidia/cublas/lib, and PyTorch
  // wheels may carry it in site-packages/torch/lib (older ones under a hashed name, libcublasLt-<hash>.so.N).
  std::vector<std::string> sites = {"/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages",
                                    "/usr/local/lib/python3*/site-packages",
                                    "/usr/local/lib/python3*/dist-packages"};
  for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
    const char* v = getenv_fn(var);
    if (v != nullptr && v[0] != '\0') sites.push_back(std::string(v) + "/lib/python3*/site-packages");
  }
  const char* home = getenv_fn("HOME");
  if (home != nullptr && home[0] != '\0') sites.push_back(std::string(home) + "/.local/lib/python3*/site-packages");
  for (const std::string& site : sites) {
    for (const char* sub : {"/nvidia/cublas/lib/libcublasLt.so*", "/torch/lib/libcublasLt*.so*"}) {
      glob_t g{};
      if (glob((site + sub).c_str(), 0, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
      globfree(&g);
    }
  }
  return out;
}

// Runs the product with cuBLASLt on the current device's default stream; false (nothing launched) when
// cuBLASLt is disabled, not loaded, the operands are not expressible, or any cuBLASLt call fails.
bool matmul(int device, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Operand a, Operand b,
            Output c, double alpha, double beta, int64_t batch);

// The loaded library's path, or why none is loaded.
const char* info();

}  // namespace mt::cuda::gemm::lt
