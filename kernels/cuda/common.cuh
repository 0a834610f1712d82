// What every CUDA kernel file includes: the ABI, the host-side helpers of the CPU kernels (fail,
// numel, dtype names), the device half conversions and the strided-index helpers.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../cpu/kernel.h"
#include "mantissa/abi.h"

#define MT_KERNEL(name, arity)                                                                           \
  extern "C" mt_status mt_cuda_k_##name(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs, \
                                        mt_error* err);
#include "../ops.def"
#undef MT_KERNEL

namespace mt::cuda {

extern const char* last_count_reason;

// A CUDA error as a status with a message naming the call; out-of-memory keeps its own status.
mt_status status_of(cudaError_t e, const char* what, mt_error* err);

// After a launch: a configuration error shows here; a fault inside the kernel shows at the next sync.
inline mt_status launched(const char* op, mt_error* err) {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? MT_OK : status_of(e, op, err);
}

// Every tensor has storage and the shape of args[0] (kernels/cpu/elementwise.h has the same check).
inline mt_status check_elementwise(const char* op, const mt_tensor* args, int32_t nargs, mt_error* err) {
  for (int32_t i = 0; i < nargs; ++i) {
    if (args[i].layout.ndim < 0 || args[i].layout.ndim > MT_MAX_DIMS)
      return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: argument %d has %d dims (expected 0..%d)", op, i,
                  args[i].layout.ndim, MT_MAX_DIMS);
    if (!same_shape(args[i].layout, args[0].layout))
      return fail(err, MT_ERR_SHAPE, "%s: argument %d has a shape different from argument 0", op, i);
    if (args[i].data == nullptr && numel(args[i].layout) > 0)
      return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: argument %d has no storage", op, i);
  }
  return MT_OK;
}

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return unsigned(b < 65536 ? (b > 0 ? b : 1) : 65536);  // grid-stride loops cover the rest
}

// ---- rounding primitives on the device and on the host. The conversions below are __host__ __device__
// so that a host-only test (test/cuda-host.test.ts) runs this very code against half.h, without a GPU.
#define MT_HD __host__ __device__ __forceinline__

MT_HD float fadd_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
MT_HD float fsub_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
MT_HD float fmul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
MT_HD uint32_t bits_of(float x) {
#ifdef __CUDA_ARCH__
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
#endif
}
MT_HD float float_of(uint32_t u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, 4);
  return x;
#endif
}
MT_HD unsigned long long bits_of(double x) {
#ifdef __CUDA_ARCH__
  return static_cast<unsigned long long>(__double_as_longlong(x));
#else
  unsigned long long u;
  std::memcpy(&u, &x, 8);
  return u;
#endif
}
MT_HD double double_of(unsigned long long u) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(u));
#else
  double x;
  std::memcpy(&x, &u, 8);
  return x;
#endif
}
MT_HD float narrow_rn(double x) {
#ifdef __CUDA_ARCH__
  return __double2float_rn(x);
#else
  return float(x);
#endif
}

// ---- half conversions: the integer algorithms of kernels/cpu/half.h (dev_ names: ADL would find the host ones), bit for bit (NaN rule included).

MT_HD float dev_half_to_float(f16 x) {
  const uint32_t w = uint32_t(x.bits) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t two_w = w + w;
  const float normalized = fmul_rn(float_of((two_w >> 4) + (0xE0u << 23)), 0x1p-112f);
  const float subnormal = fsub_rn(float_of((two_w >> 17) | (126u << 23)), 0.5f);
  return float_of(sign | bits_of(two_w < (1u << 27) ? subnormal : normalized));
}
MT_HD float dev_half_to_float(bf16 x) {
  const uint32_t u = uint32_t(x.bits) << 16;
  return float_of((u & 0x7FFFFFFFu) > 0x7F800000u ? u | 0x00400000u : u);
}
MT_HD bf16 dev_float_to_bf16(float f) {
  uint32_t u = bits_of(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bf16{uint16_t((u >> 16) | 0x40u)};
  u += 0x7FFFu + ((u >> 16) & 1u);
  return bf16{uint16_t(u >> 16)};
}
MT_HD f16 dev_float_to_f16(float f) {
  const uint32_t u = bits_of(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return f16{uint16_t(sign | 0x7E00u | ((a >> 13) & 0x3FFu))};
  if (a >= 0x477FF000u) return f16{uint16_t(sign | 0x7C00u)};
  if (a < 0x38800000u) {
    // Explicit _rn add: never contracted or flushed, so the FPU rounds to nearest even at 2^-24.
    const float r = fadd_rn(float_of(a), 0.5f);
    return f16{uint16_t(sign | uint16_t(bits_of(r) - bits_of(0.5f)))};
  }
  const uint32_t mant_odd = (a >> 13) & 1u;
  const uint32_t v = a + 0xC8000FFFu + mant_odd;
  return f16{uint16_t(sign | uint16_t(v >> 13))};
}

// Exact decode to double and single rounding from double: HalfFormat of half.h on the device.
template <int EBITS, int MBITS>
struct DevHalf {
  static constexpr int bias = (1 << (EBITS - 1)) - 1;
  static constexpr int emin = 1 - bias;
  static constexpr int emax = bias;
  static constexpr uint16_t exp_mask = uint16_t(((1u << EBITS) - 1) << MBITS);
  static constexpr uint16_t man_mask = uint16_t((1u << MBITS) - 1);
  static constexpr uint16_t quiet_bit = uint16_t(1u << (MBITS - 1));

  __host__ __device__ static double decode(uint16_t h) {
    const bool neg = h >> 15;
    const int e = (h & exp_mask) >> MBITS;
    const uint32_t m = h & man_mask;
    if (e == (1 << EBITS) - 1) {
      if (m == 0) return neg ? -CUDART_INF_D_LOCAL() : CUDART_INF_D_LOCAL();
      const unsigned long long b = (static_cast<unsigned long long>(neg) << 63) | (0x7FFull << 52) | (1ull << 51) |
                                   (static_cast<unsigned long long>(m) << (52 - MBITS));
      return double_of((b));
    }
    const double mag = e == 0 ? ldexp(double(m), emin - MBITS) : ldexp(double(m | (1u << MBITS)), e - bias - MBITS);
    return neg ? -mag : mag;
  }

  __host__ __device__ static uint16_t encode(double x) {
    const unsigned long long b = bits_of(x);
    const uint16_t sign = uint16_t((b >> 63) << 15);
    if (isnan(x)) return uint16_t(sign | exp_mask | quiet_bit | uint16_t((b >> (52 - MBITS)) & man_mask));
    const double a = fabs(x);
    if (isinf(a)) return uint16_t(sign | exp_mask);
    if (a == 0) return sign;
    int e;
    frexp(a, &e);
    e -= 1;
    if (e < emin) {
      const double q = rint(ldexp(a, MBITS - emin));
      return uint16_t(sign | uint16_t(q));
    }
    double q = rint(ldexp(a, MBITS - e));
    if (q == double(1u << (MBITS + 1))) {
      q = double(1u << MBITS);
      e += 1;
    }
    if (e > emax) return uint16_t(sign | exp_mask);
    return uint16_t(sign | uint16_t((e + bias) << MBITS) | (uint16_t(q) & man_mask));
  }

  __host__ __device__ static double CUDART_INF_D_LOCAL() { return double_of(0x7FF0000000000000ull); }
};

// Value conversions through double, as to_double/from_double of half.h.
template <class T>
MT_HD double to_double(T x) {
  if constexpr (std::is_same_v<T, f16>) return DevHalf<5, 10>::decode(x.bits);
  else if constexpr (std::is_same_v<T, bf16>) return DevHalf<8, 7>::decode(x.bits);
  else if constexpr (std::is_same_v<T, bool>) return x ? 1.0 : 0.0;
  else if constexpr (std::is_same_v<T, float>) {
    // The NaN rule (half.h): a GPU's cvt would give its canonical NaN; x86 keeps the payload's top bits.
    const uint32_t u = bits_of(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
      return double_of(((static_cast<unsigned long long>(u >> 31) << 63) |
                                                         (0xFFFull << 51) |
                                                         (static_cast<unsigned long long>(u & 0x3FFFFFu) << 29)));
    return double(x);
  } else return double(x);
}
template <class T>
MT_HD T from_double(double x) {
  if constexpr (std::is_same_v<T, f16>) return f16{DevHalf<5, 10>::encode(x)};
  else if constexpr (std::is_same_v<T, bf16>) return bf16{DevHalf<8, 7>::encode(x)};
  else if constexpr (std::is_same_v<T, bool>) return x != 0;
  else if constexpr (std::is_same_v<T, int32_t>) {
    if (isnan(x)) return 0;
    if (x >= 2147483647.0) return INT32_MAX;
    if (x <= -2147483648.0) return INT32_MIN;
    return int32_t(x);
  } else if constexpr (std::is_same_v<T, float>) {
    if (isnan(x)) {
      const unsigned long long b = bits_of(x);
      return float_of(uint32_t(b >> 63) << 31 | 0x7FC00000u | uint32_t((b >> 29) & 0x3FFFFFu));
    }
    return narrow_rn(x);
  } else {
    return x;
  }
}

// Op-math load/store: half types computed in float, rounded once on store.
template <class T>
MT_HD typename OpMath<T>::type dload(T x) {
  if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) return dev_half_to_float(x);
  else return x;
}
template <class T>
MT_HD T dstore(typename OpMath<T>::type x) {
  if constexpr (std::is_same_v<T, f16>) return dev_float_to_f16(x);
  else if constexpr (std::is_same_v<T, bf16>) return dev_float_to_bf16(x);
  else return x;
}

// ---- strided indexing. Every tensor of an elementwise call has the shape of args[0]; the linear index
// is split once into coordinates and dotted with each tensor's strides.
template <int N>
struct Views {
  char* base[N];     // storage base + offset * itemsize
  int64_t strides[N][MT_MAX_DIMS];  // in bytes
  int64_t shape[MT_MAX_DIMS];
  int32_t ndim;
  bool contiguous;  // every view dense in row-major order: byte offset = i * itemsize
  int32_t itemsize[N];
};

template <int N>
inline Views<N> views_of(const mt_tensor* args) {
  Views<N> v{};
  v.ndim = args[0].layout.ndim;
  for (int d = 0; d < v.ndim; ++d) v.shape[d] = args[0].layout.shape[d];
  v.contiguous = true;
  for (int k = 0; k < N; ++k) {
    const int64_t size = itemsize(args[k].dtype);
    v.itemsize[k] = int32_t(size);
    v.base[k] = static_cast<char*>(args[k].data) + args[k].layout.offset * size;
    for (int d = 0; d < v.ndim; ++d) v.strides[k][d] = args[k].layout.strides[d] * size;
    if (!is_contiguous(args[k].layout)) v.contiguous = false;
  }
  return v;
}

template <int N>
__device__ __forceinline__ void offsets_of(const Views<N>& v, int64_t i, int64_t* off) {
  if (v.contiguous) {
    for (int k = 0; k < N; ++k) off[k] = i * v.itemsize[k];
    return;
  }
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = v.ndim - 1; d >= 0; --d) {
    const int64_t size = v.shape[d];
    const int64_t c = i % size;
    i /= size;
    for (int k = 0; k < N; ++k) off[k] += c * v.strides[k][d];
  }
}

template <class T>
__device__ __forceinline__ T ld(const char* p) {
  return *reinterpret_cast<const T*>(p);
}
template <class T>
__device__ __forceinline__ void st(char* p, T v) {
  *reinterpret_cast<T*>(p) = v;
}

}  // namespace mt::cuda
