// The device GEMM (gemm.cuh): cuBLASLt when it is loaded and the operands suit it (cublaslt.cu), else
// our own kernels: WMMA tensor cores for float16/bfloat16 (bfloat16 fragments need sm_80; sm_75 takes
// the SIMT kernel), a tiled SIMT kernel for float32 (fp32 fma, never TF32) and float64. The tile
// arithmetic is gemm_tiles.cuh, shared with the host test. Results do not depend on timing: every output
// element is computed by one thread (or one warp's fragment) in a fixed order, no atomics, no split-k.
#include <mma.h>

#include <cstdlib>

#include "cublaslt.cuh"
#include "gemm.cuh"
#include "gemm_tiles.cuh"

namespace mt::cuda::gemm {
namespace {

const char* g_last_path = "none";

// Grid: x over column tiles, y over row tiles, z over batch entries; y and z stride over what a grid's
// 65535 limit leaves, so any extent is covered.
struct Grid {
  dim3 dims;
  int64_t mtiles, ntiles;
};
Grid grid_for(int64_t m, int64_t n, int64_t batch, int bm, int bn) {
  Grid g;
  g.mtiles = (m + bm - 1) / bm;
  g.ntiles = (n + bn - 1) / bn;
  g.dims = dim3(unsigned(g.ntiles), unsigned(g.mtiles < 65535 ? g.mtiles : 65535),
                unsigned(batch < 65535 ? batch : 65535));
  return g;
}

template <class T, class C, class Acc>
__global__ void __launch_bounds__(Simt::THREADS) simt_kernel(Args<Acc> p, int64_t mtiles) {
  __shared__ SimtSmem<Acc> s;
  const int tid = int(threadIdx.x);
  const int64_t col0 = int64_t(blockIdx.x) * Simt::BN;
  for (int64_t e = blockIdx.z; e < p.batch; e += gridDim.z) {
    for (int64_t tm = blockIdx.y; tm < mtiles; tm += gridDim.y) {
      const int64_t row0 = tm * Simt::BM;
      Acc acc[Simt::TM][Simt::TN];
      for (int i = 0; i < Simt::TM; ++i)
        for (int j = 0; j < Simt::TN; ++j) acc[i][j] = Acc(0);
      for (int64_t k0 = 0; k0 < p.k; k0 += Simt::BK) {
        simt_load<T, Acc>(s, p, e, row0, col0, k0, tid);
        __syncthreads();
        const int64_t left = p.k - k0;
        simt_step<Acc>(s, acc, left < Simt::BK ? int(left) : Simt::BK, tid);
        __syncthreads();
      }
      simt_store<C, Acc>(p, acc, e, row0, col0, tid);
    }
  }
}

template <class T>
struct WmmaType;
template <>
struct WmmaType<f16> {
  using type = __half;
};
template <>
struct WmmaType<bf16> {
  using type = __nv_bfloat16;
};

template <class T, class C>
__global__ void __launch_bounds__(Wmma::THREADS) wmma_kernel(Args<float> p, int64_t mtiles) {
  // bfloat16 fragments exist from sm_80 on; the host never launches that instantiation on older devices
  // (own_half), whose code for it is empty.
#if defined(__CUDA_ARCH__)
#if __CUDA_ARCH__ >= 800
  constexpr bool has_fragments = true;
#else
  constexpr bool has_fragments = std::is_same_v<T, f16>;
#endif
  if constexpr (has_fragments) {
  using namespace nvcuda;
  using W = typename WmmaType<T>::type;
  __shared__ WmmaSmem s;
  const int tid = int(threadIdx.x);
  const int warp = tid / 32;
  const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;  // this warp's 32 x 32 corner of the tile
  const int64_t col0 = int64_t(blockIdx.x) * Wmma::BN;
  for (int64_t e = blockIdx.z; e < p.batch; e += gridDim.z) {
    for (int64_t tm = blockIdx.y; tm < mtiles; tm += gridDim.y) {
      const int64_t row0 = tm * Wmma::BM;
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
      for (int64_t k0 = 0; k0 < p.k; k0 += Wmma::BK) {
        wmma_load<T>(s, p, e, row0, col0, k0, tid);
        __syncthreads();
        for (int kk = 0; kk < Wmma::BK; kk += 16) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, W, wmma::row_major> fa[2];
          wmma::fragment<wmma::matrix_b, 16, 16, 16, W, wmma::row_major> fb[2];
          for (int i = 0; i < 2; ++i)
            wmma::load_matrix_sync(fa[i], reinterpret_cast<const W*>(&s.a[wm + 16 * i][kk]), Wmma::AP);
          for (int j = 0; j < 2; ++j)
            wmma::load_matrix_sync(fb[j], reinterpret_cast<const W*>(&s.b[kk][wn + 16 * j]), Wmma::BP);
          for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
      }
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          wmma::store_matrix_sync(&s.c[wm + 16 * i][wn + 16 * j], acc[i][j], Wmma::CP, wmma::mem_row_major);
      __syncthreads();
      wmma_store<C>(s, p, e, row0, col0, tid);
      __syncthreads();  // s.c is written again by the next tile's fragments
    }
  }
  }
#endif
}

// Compute capability major of each device, asked once.
int sm_major(int device) {
  static int cache[64] = {};
  if (device < 0 || device >= 64) return 0;
  if (cache[device] == 0) {
    int major = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    cache[device] = major;
  }
  return cache[device];
}

template <class Acc>
Args<Acc> args_of(int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, double alpha, double beta,
                  int64_t batch) {
  return Args<Acc>{a.base, b.base, c.base, m,    n,    k,    batch, a.rs,       a.cs,      a.bs,
                   b.rs,   b.cs,   b.bs,   c.rs, c.cs, c.bs, Acc(alpha), Acc(beta)};
}

template <class T, class C>
void launch_simt(int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, double alpha, double beta,
                 int64_t batch) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const Grid g = grid_for(m, n, batch, Simt::BM, Simt::BN);
  simt_kernel<T, C, Acc><<<g.dims, Simt::THREADS>>>(args_of<Acc>(m, n, k, a, b, c, alpha, beta, batch), g.mtiles);
}

template <class T, class C>
void launch_wmma(int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, double alpha, double beta,
                 int64_t batch) {
  const Grid g = grid_for(m, n, batch, Wmma::BM, Wmma::BN);
  wmma_kernel<T, C><<<g.dims, Wmma::THREADS>>>(args_of<float>(m, n, k, a, b, c, alpha, beta, batch), g.mtiles);
}

// Our own kernels for one call: WMMA for half types where the device has the fragments, else SIMT.
template <class T, class C>
const char* own_half(int device, int64_t m, int64_t n, int64_t k, Operand a, Operand b, Output c, double alpha,
                     double beta, int64_t batch) {
  const int major = sm_major(device);
  const bool fragments = std::is_same_v<T, f16> ? major >= 7 : major >= 8;
  if (fragments) {
    launch_wmma<T, C>(m, n, k, a, b, c, alpha, beta, batch);
    return "wmma";
  }
  launch_simt<T, C>(m, n, k, a, b, c, alpha, beta, batch);
  return "simt";
}

}  // namespace

const char* last_path() { return g_last_path; }

mt_status product(const char* op, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Operand a,
                  Operand b, Output c, double alpha, double beta, int64_t batch, mt_error* err) {
  if (dtype != MT_FLOAT32 && dtype != MT_FLOAT64 && dtype != MT_FLOAT16 && dtype != MT_BFLOAT16)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: expected float32, float16, bfloat16 or float64, got %s", op,
                dtype_name(dtype));
  if (m <= 0 || n <= 0 || batch <= 0) return MT_OK;
  if (batch > 1 && c.bs == 0) {
    // Every entry writes the same c: one product after another in stream order, as a loop would, rather
    // than blocks racing on it.
    const int64_t size = itemsize(dtype);
    auto entry = [&](const void* base, int64_t off) -> const void* {
      return base == nullptr ? nullptr : static_cast<const char*>(base) + off * size;  // k = 0: may be null
    };
    for (int64_t e = 0; e < batch; ++e) {
      const Operand ae{entry(a.base, e * a.bs), a.rs, a.cs, 0};
      const Operand be{entry(b.base, e * b.bs), b.rs, b.cs, 0};
      if (mt_status s = product(op, dtype, c_f32, m, n, k, ae, be, c, alpha, beta, 1, err)) return s;
    }
    return MT_OK;
  }
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    device = 0;
  }
  const bool half = dtype == MT_FLOAT16 || dtype == MT_BFLOAT16;
  if (dtype != MT_FLOAT64 && k > 0 &&
      lt::matmul(device, dtype, half && c_f32, m, n, k, a, b, c, alpha, beta, batch)) {
    g_last_path = "cublaslt";
    return launched(op, err);
  }
  switch (dtype) {
    case MT_FLOAT32:
      launch_simt<float, float>(m, n, k, a, b, c, alpha, beta, batch);
      g_last_path = "simt";
      break;
    case MT_FLOAT64:
      launch_simt<double, double>(m, n, k, a, b, c, alpha, beta, batch);
      g_last_path = "simt";
      break;
    case MT_FLOAT16:
      g_last_path = c_f32 ? own_half<f16, float>(device, m, n, k, a, b, c, alpha, beta, batch)
                          : own_half<f16, f16>(device, m, n, k, a, b, c, alpha, beta, batch);
      break;
    default:
      g_last_path = c_f32 ? own_half<bf16, float>(device, m, n, k, a, b, c, alpha, beta, batch)
                          : own_half<bf16, bf16>(device, m, n, k, a, b, c, alpha, beta, batch);
      break;
  }
  return launched(op, err);
}

}  // namespace mt::cuda::gemm

extern "C" const char* mt_cuda_gemm_path(void) { return mt::cuda::gemm::last_path(); }
