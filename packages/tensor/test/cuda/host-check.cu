// Runs the CUDA kernels' scalar code (kernels/cuda/common.cuh, elementwise.cuh: __host__ __device__)
// on the host against the CPU reference (kernels/cpu/half.h, elementwise.h), so the cast and exp
// numerics of the GPU path are checked bit for bit on a machine without a GPU. Prints one line per
// family: "<name> <checked> <mismatches> [first mismatch]", then "done".
#include <cstdio>
#include <cstring>

#include "../../../../kernels/cpu/elementwise.h"
#include "../../../../kernels/cuda/elementwise.cuh"

namespace {

uint32_t fbits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
unsigned long long dbits(double x) {
  unsigned long long u;
  std::memcpy(&u, &x, 8);
  return u;
}

struct Tally {
  const char* name;
  unsigned long long checked = 0, bad = 0;
  char first[160] = "";
  void check(bool ok, unsigned long long input, unsigned long long got, unsigned long long want) {
    ++checked;
    if (ok) return;
    if (bad++ == 0) std::snprintf(first, sizeof first, "input %llx: cuda %llx, cpu %llx", input, got, want);
  }
  ~Tally() { std::printf("%s %llu %llu %s\n", name, checked, bad, first); }
};

unsigned long long state = 0x9E3779B97F4A7C15ull;
unsigned long long next_random() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

}  // namespace

int main() {
  {
    Tally decode{"half-decode"};
    for (uint32_t h = 0; h < 65536; ++h) {
      const mt::f16 a{uint16_t(h)};
      const mt::bf16 b{uint16_t(h)};
      decode.check(fbits(mt::cuda::dev_half_to_float(a)) == fbits(mt::half_to_float(a)), h,
                   fbits(mt::cuda::dev_half_to_float(a)), fbits(mt::half_to_float(a)));
      decode.check(fbits(mt::cuda::dev_half_to_float(b)) == fbits(mt::half_to_float(b)), h | 0x10000,
                   fbits(mt::cuda::dev_half_to_float(b)), fbits(mt::half_to_float(b)));
      decode.check(dbits(mt::cuda::to_double(a)) == dbits(mt::to_double(a)), h, dbits(mt::cuda::to_double(a)),
                   dbits(mt::to_double(a)));
      decode.check(dbits(mt::cuda::to_double(b)) == dbits(mt::to_double(b)), h | 0x10000, dbits(mt::cuda::to_double(b)),
                   dbits(mt::to_double(b)));
    }
  }
  {
    // Every 251st float32 bit pattern (all exponents, signs, NaN payloads, rounding neighbourhoods).
    Tally narrow{"float-to-half"}, via_double{"double-to-half"}, widen{"float-to-double"}, exp{"exp_f32"};
    for (unsigned long long w = 0; w < (1ull << 32); w += 251) {
      const uint32_t u = uint32_t(w);
      float f;
      std::memcpy(&f, &u, 4);
      narrow.check(mt::cuda::dev_float_to_f16(f).bits == mt::float_to_f16(f).bits, u, mt::cuda::dev_float_to_f16(f).bits,
                   mt::float_to_f16(f).bits);
      narrow.check(mt::cuda::dev_float_to_bf16(f).bits == mt::float_to_bf16(f).bits, u,
                   mt::cuda::dev_float_to_bf16(f).bits, mt::float_to_bf16(f).bits);
      const double d = mt::to_double(f);
      widen.check(dbits(mt::cuda::to_double(f)) == dbits(d), u, dbits(mt::cuda::to_double(f)), dbits(d));
      via_double.check(mt::cuda::from_double<mt::f16>(d).bits == mt::from_double<mt::f16>(d).bits, u,
                       mt::cuda::from_double<mt::f16>(d).bits, mt::from_double<mt::f16>(d).bits);
      via_double.check(mt::cuda::from_double<mt::bf16>(d).bits == mt::from_double<mt::bf16>(d).bits, u,
                       mt::cuda::from_double<mt::bf16>(d).bits, mt::from_double<mt::bf16>(d).bits);
      if ((w & 0xFFF) < 251) exp.check(fbits(mt::cuda::exp_f32(f)) == fbits(mt::exp_f32(f)), u, fbits(mt::cuda::exp_f32(f)), fbits(mt::exp_f32(f)));
    }
    // exp over its whole useful range, densely.
    for (float f = -110.0f; f < 95.0f; f += 0.000977f)
      exp.check(fbits(mt::cuda::exp_f32(f)) == fbits(mt::exp_f32(f)), fbits(f), fbits(mt::cuda::exp_f32(f)), fbits(mt::exp_f32(f)));
  }
  {
    // Random float64 bit patterns plus values near every half/float rounding boundary.
    Tally from_d{"double-to-all"};
    for (int i = 0; i < 4000000; ++i) {
      unsigned long long b = next_random();
      if (i & 1) b = (b & 0x800FFFFFFFFFFFFFull) | (uint64_t(0x3E0 + (b >> 52) % 0x60) << 52);  // |x| in [2^-31, 2^64)
      double d;
      std::memcpy(&d, &b, 8);
      from_d.check(fbits(mt::cuda::from_double<float>(d)) == fbits(mt::from_double<float>(d)), b,
                   fbits(mt::cuda::from_double<float>(d)), fbits(mt::from_double<float>(d)));
      from_d.check(mt::cuda::from_double<mt::f16>(d).bits == mt::from_double<mt::f16>(d).bits, b,
                   mt::cuda::from_double<mt::f16>(d).bits, mt::from_double<mt::f16>(d).bits);
      from_d.check(mt::cuda::from_double<mt::bf16>(d).bits == mt::from_double<mt::bf16>(d).bits, b,
                   mt::cuda::from_double<mt::bf16>(d).bits, mt::from_double<mt::bf16>(d).bits);
      from_d.check(mt::cuda::from_double<int32_t>(d) == mt::from_double<int32_t>(d), b,
                   uint32_t(mt::cuda::from_double<int32_t>(d)), uint32_t(mt::from_double<int32_t>(d)));
    }
  }
  std::printf("done\n");
  return 0;
}
