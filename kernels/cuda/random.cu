// rand_uniform / rand_normal on the device with the CPU's stream (kernels/cpu/random.cc): Philox4x32-10
// blocks from (seed, offset + block index), the same words per value, the same double arithmetic, so a
// seed draws the same tensor on either device. Uniform draws are bit-identical; normal draws go through
// CUDA's log/sin/cos, within an ulp or so of the C library's.
#include <cmath>

#include "elementwise.cuh"
#include "philox.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

template <class T>
__device__ double unit(const uint32_t* w) {
  if constexpr (std::is_same_v<T, double>) {
    const unsigned long long bits = (static_cast<unsigned long long>(w[0]) << 21) ^ (static_cast<unsigned long long>(w[1]) >> 11);
    return double(bits & ((1ull << 53) - 1)) * 0x1p-53;
  } else if constexpr (std::is_same_v<T, f16>) {
    return double(w[0] >> 21) * 0x1p-11;
  } else if constexpr (std::is_same_v<T, bf16>) {
    return double(w[0] >> 24) * 0x1p-8;
  } else {
    return double(w[0] >> 8) * 0x1p-24;
  }
}

template <class T>
__global__ void uniform_kernel(char* out, int64_t n, unsigned long long seed, unsigned long long offset, double low,
                               double span) {
  constexpr int per_block = std::is_same_v<T, double> ? 2 : 4;
  const int64_t blocks = (n + per_block - 1) / per_block;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const Words blk = philox(seed, offset + static_cast<unsigned long long>(b));
    for (int j = 0; j < per_block && b * per_block + j < n; ++j) {
      const double u = unit<T>(blk.w + j * (4 / per_block));
      st<T>(out + (b * per_block + j) * int64_t(sizeof(T)), cuda::from_double<T>(low + span * u));
    }
  }
}

template <class T>
__global__ void normal_kernel(char* out, int64_t n, unsigned long long seed, unsigned long long offset, double mean,
                              double std_dev) {
  const int64_t blocks = (n + 1) / 2;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const Words blk = philox(seed, offset + static_cast<unsigned long long>(b));
    const double u1 = (double(blk.w[0]) + 1.0) * 0x1p-32;
    const double u2 = double(blk.w[1]) * 0x1p-32;
    const double r = sqrt(-2.0 * log(u1));
    const double z[2] = {r * cos(2 * M_PI * u2), r * sin(2 * M_PI * u2)};
    for (int j = 0; j < 2 && b * 2 + j < n; ++j)
      st<T>(out + (b * 2 + j) * int64_t(sizeof(T)), cuda::from_double<T>(mean + std_dev * z[j]));
  }
}

mt_status check_random(const char* op, const mt_tensor& out, const double* attrs, int32_t nattrs, mt_error* err) {
  if (nattrs != 4) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 4 attributes, got %d", op, nattrs);
  if (!is_contiguous(out.layout)) return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: output must be contiguous", op);
  if (!is_float_dtype(out.dtype))
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (expected a floating dtype)", op, dtype_name(out.dtype));
  for (int i = 0; i < 2; ++i)
    if (!(attrs[i] >= 0 && attrs[i] < 0x1p64) || attrs[i] != std::floor(attrs[i]))
      return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: %s must be an integer in [0, 2^64), got %g", op, i == 0 ? "seed" : "offset",
                  attrs[i]);
  return MT_OK;
}

}  // namespace

extern "C" mt_status mt_cuda_k_rand_uniform(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  if (mt_status s = check_random("rand_uniform", args[0], attrs, nattrs, err)) return s;
  const int64_t n = numel(args[0].layout);
  if (n == 0) return MT_OK;
  char* out = static_cast<char*>(args[0].data) + args[0].layout.offset * itemsize(args[0].dtype);
  const unsigned long long seed = static_cast<unsigned long long>(attrs[0]), offset = static_cast<unsigned long long>(attrs[1]);
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    uniform_kernel<T><<<blocks_for((n + 1) / 2), kThreads>>>(out, n, seed, offset, attrs[2], attrs[3] - attrs[2]);
  });
  return MT_OK;
}

extern "C" mt_status mt_cuda_k_rand_normal(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs, mt_error* err) {
  if (mt_status s = check_random("rand_normal", args[0], attrs, nattrs, err)) return s;
  const int64_t n = numel(args[0].layout);
  if (n == 0) return MT_OK;
  char* out = static_cast<char*>(args[0].data) + args[0].layout.offset * itemsize(args[0].dtype);
  const unsigned long long seed = static_cast<unsigned long long>(attrs[0]), offset = static_cast<unsigned long long>(attrs[1]);
  dispatch_float(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    normal_kernel<T><<<blocks_for((n + 1) / 2), kThreads>>>(out, n, seed, offset, attrs[2], attrs[3]);
  });
  return MT_OK;
}
