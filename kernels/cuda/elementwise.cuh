// The elementwise launch and the scalar maths shared by unary.cu and binary.cu, written to give the
// bits of kernels/cpu (elementwise.h): the same formulas with every rounding explicit (the library is
// compiled with --fmad=false, so a * b + c is never contracted into an fma the CPU does not do).
#pragma once

#include "common.cuh"

namespace mt::cuda {

template <class T>
using Math = typename OpMath<T>::type;

template <class T>
constexpr bool is_float_dtype_v =
    std::is_same_v<T, float> || std::is_same_v<T, f16> || std::is_same_v<T, bf16> || std::is_same_v<T, double>;

// One thread per element (grid-stride): f(byte pointers of the N views at element i).
template <int N, class F>
__global__ void elementwise_kernel(Views<N> v, int64_t n, F f) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[N];
    offsets_of(v, i, off);
    char* p[N];
    for (int k = 0; k < N; ++k) p[k] = v.base[k] + off[k];
    f(p);
  }
}

template <int N, class F>
void launch_elementwise(const mt_tensor* args, const F& f) {
  const int64_t n = numel(args[0].layout);
  if (n == 0) return;
  elementwise_kernel<N><<<blocks_for(n), kThreads>>>(views_of<N>(args), n, f);
}

// maximum / minimum / clamp: NaN propagates (as a + b), max(+0, -0) = +0, min(+0, -0) = -0.
template <class M>
__device__ __forceinline__ M maximum_of(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? b : a;
  }
  return a > b ? a : b;
}
template <class M>
__device__ __forceinline__ M minimum_of(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? a : b;
  }
  return a < b ? a : b;
}

// exp_f32 of elementwise.h, operation for operation (SLEEF expf_u10 polynomial, fma where it has fma).
MT_HD float exp_f32(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;
  constexpr float kLn2Lo = 1.428606765330187045e-06f;
  constexpr float kMin = -104.0f, kMax = 89.0f;
  if (x != x) return x + x;
  const float xc = fminf(fmaxf(x, kMin), kMax);
  const float n = rintf(fmul_rn(xc, kLog2e));
  float r = fmaf(n, -kLn2Hi, xc);
  r = fmaf(n, -kLn2Lo, r);
  float u = 0.000198527617612853646278381f;
  u = fmaf(u, r, 0.00139304355252534151077271f);
  u = fmaf(u, r, 0.00833336077630519866943359f);
  u = fmaf(u, r, 0.0416664853692054748535156f);
  u = fmaf(u, r, 0.166666671633720397949219f);
  u = fmaf(u, r, 0.5f);
  const float y = fadd_rn(1.0f, fmaf(fmul_rn(r, r), u, r));
  const int32_t k = int32_t(n);
  const int32_t k1 = k >> 1;
  const float p1 = float_of(uint32_t(k1 + 127) << 23), p2 = float_of(uint32_t(k - k1 + 127) << 23);
  return fmul_rn(fmul_rn(y, p1), p2);
}

}  // namespace mt::cuda
