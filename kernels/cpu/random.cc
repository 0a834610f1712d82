// rand_uniform / rand_normal: counter-based Philox4x32-10, so a draw depends only on (seed, offset,
// element index): reproducible under manualSeed, identical for any thread count.
//
// attrs: [seed, offset, a, b]. Uniform: values in [a, b). Normal: mean a, standard deviation b.
// `offset` counts 128-bit Philox blocks already consumed; the caller advances it by the blocks used.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernel.h"
#include "parallel.h"
#include "philox.h"

namespace mt {
namespace {

// A uniform in [0, 1) with as many random bits as T has significand bits, so it is exact in T and
// never rounds up to 1.
template <class T>
double unit(const uint32_t* w) {
  if constexpr (std::is_same_v<T, double>) {
    const uint64_t bits = (uint64_t(w[0]) << 21) ^ (uint64_t(w[1]) >> 11);
    return double(bits & ((uint64_t(1) << 53) - 1)) * 0x1p-53;
  } else if constexpr (std::is_same_v<T, f16>) {
    return double(w[0] >> 21) * 0x1p-11;
  } else if constexpr (std::is_same_v<T, bf16>) {
    return double(w[0] >> 24) * 0x1p-8;
  } else {
    return double(w[0] >> 8) * 0x1p-24;
  }
}

// Seeds and offsets arrive as doubles; converting a NaN or negative one to uint64_t is undefined.
bool valid_counter(const double* attrs, const char* op, mt_error* err, mt_status* status) {
  for (int i = 0; i < 2; ++i) {
    if (!(attrs[i] >= 0 && attrs[i] < 0x1p64) || attrs[i] != std::floor(attrs[i])) {
      *status = fail(err, MT_ERR_INVALID_ARGUMENT, "%s: %s must be an integer in [0, 2^64), got %g", op,
                     i == 0 ? "seed" : "offset", attrs[i]);
      return false;
    }
  }
  return true;
}

bool valid_output(const mt_tensor& out, const char* op, mt_error* err, mt_status* status) {
  if (!is_contiguous(out.layout)) {
    *status = fail(err, MT_ERR_INVALID_ARGUMENT, "%s: output must be contiguous", op);
    return false;
  }
  if (out.dtype == MT_INT32 || out.dtype == MT_BOOL) {
    *status = fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (expected a floating dtype)", op,
                   dtype_name(out.dtype));
    return false;
  }
  return true;
}

}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_rand_uniform(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                       mt_error* err) {
  using namespace mt;
  if (nattrs != 4) return fail(err, MT_ERR_INVALID_ARGUMENT, "rand_uniform: expected 4 attributes, got %d", nattrs);
  mt_status status = MT_OK;
  if (!valid_output(args[0], "rand_uniform", err, &status) || !valid_counter(attrs, "rand_uniform", err, &status))
    return status;
  const uint64_t seed = uint64_t(attrs[0]), offset = uint64_t(attrs[1]);
  const double low = attrs[2], span = attrs[3] - attrs[2];
  const int64_t n = numel(args[0].layout);
  const int64_t size = itemsize(args[0].dtype);
  char* out = static_cast<char*>(args[0].data) + args[0].layout.offset * size;
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    // float64 takes two words per value, the others one.
    constexpr int per_block = std::is_same_v<T, double> ? 2 : 4;
    parallel_for((n + per_block - 1) / per_block, 4096, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const Block blk = philox(seed, offset + uint64_t(b));
        for (int j = 0; j < per_block && b * per_block + j < n; ++j) {
          const double u = unit<T>(blk.w + j * (4 / per_block));
          const T v = from_double<T>(low + span * u);
          std::memcpy(out + (b * per_block + j) * size, &v, sizeof(T));
        }
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_rand_normal(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                      mt_error* err) {
  using namespace mt;
  if (nattrs != 4) return fail(err, MT_ERR_INVALID_ARGUMENT, "rand_normal: expected 4 attributes, got %d", nattrs);
  mt_status status = MT_OK;
  if (!valid_output(args[0], "rand_normal", err, &status) || !valid_counter(attrs, "rand_normal", err, &status))
    return status;
  const uint64_t seed = uint64_t(attrs[0]), offset = uint64_t(attrs[1]);
  const double mean = attrs[2], std_dev = attrs[3];
  const int64_t n = numel(args[0].layout);
  const int64_t size = itemsize(args[0].dtype);
  char* out = static_cast<char*>(args[0].data) + args[0].layout.offset * size;
  dispatch_all(args[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    // Box-Muller: one block gives two normals (words 0,1 -> radius and angle; 2,3 unused).
    parallel_for((n + 1) / 2, 4096, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const Block blk = philox(seed, offset + uint64_t(b));
        const double u1 = (double(blk.w[0]) + 1.0) * 0x1p-32;  // (0, 1]: log is finite
        const double u2 = double(blk.w[1]) * 0x1p-32;
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double z[2] = {r * std::cos(2 * M_PI * u2), r * std::sin(2 * M_PI * u2)};
        for (int j = 0; j < 2 && b * 2 + j < n; ++j) {
          const T v = from_double<T>(mean + std_dev * z[j]);
          std::memcpy(out + (b * 2 + j) * size, &v, sizeof(T));
        }
      }
    });
  });
  return MT_OK;
}
