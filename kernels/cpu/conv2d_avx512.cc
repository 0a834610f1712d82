// AVX-512 stride-2 gathers for im2col (see conv2d_simd.h). Following the SIMD file rule: every
// header first, then the target pragma, then only functions in an anonymous namespace plus the entry
// point, which conv2d_simd.cc calls after checking mt::isa(). Masked loads and stores never touch
// memory past the ends.
#include <immintrin.h>

#include <cstdint>

#include "conv2d_simd.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")

namespace mt {
namespace conv {
namespace {

// Row r of d (n elements, row stride dld) takes every other element of row r of s (row stride sld).
void gather32(uint32_t* d, int64_t dld, const uint32_t* s, int64_t sld, int64_t rows, int64_t n) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const int64_t full = n / 16 * 16, rem = n - full, used = 2 * rem - 1;
  const __mmask16 ma = rem ? (used >= 16 ? 0xFFFF : __mmask16((1u << used) - 1)) : 0;
  const __mmask16 mb = rem && used > 16 ? __mmask16((1u << (used - 16)) - 1) : 0;
  const __mmask16 md = rem ? __mmask16((1u << rem) - 1) : 0;
  for (int64_t r = 0; r < rows; ++r, d += dld, s += sld) {
    for (int64_t i = 0; i < full; i += 16) {
      // The last pair's odd element may lie past the source: leave it out.
      const __m512i a = _mm512_loadu_si512(s + 2 * i);
      const __m512i b = _mm512_maskz_loadu_epi32(0x7FFF, s + 2 * i + 16);
      _mm512_storeu_si512(d + i, _mm512_permutex2var_epi32(a, even, b));
    }
    if (rem) {
      const __m512i a = _mm512_maskz_loadu_epi32(ma, s + 2 * full);
      const __m512i b = _mm512_maskz_loadu_epi32(mb, s + 2 * full + 16);
      _mm512_mask_storeu_epi32(d + full, md, _mm512_permutex2var_epi32(a, even, b));
    }
  }
}

void gather16(uint16_t* d, int64_t dld, const uint16_t* s, int64_t sld, int64_t rows, int64_t n) {
  alignas(64) uint16_t idx[32];
  for (int k = 0; k < 32; ++k) idx[k] = uint16_t(2 * k);
  const __m512i even = _mm512_load_si512(idx);
  const int64_t full = n / 32 * 32, rem = n - full, used = 2 * rem - 1;
  const __mmask32 ma = rem ? (used >= 32 ? 0xFFFFFFFFu : __mmask32((1u << used) - 1)) : 0;
  const __mmask32 mb = rem && used > 32 ? __mmask32((1u << (used - 32)) - 1) : 0;
  const __mmask32 md = rem ? __mmask32((1u << rem) - 1) : 0;
  for (int64_t r = 0; r < rows; ++r, d += dld, s += sld) {
    for (int64_t i = 0; i < full; i += 32) {
      const __m512i a = _mm512_loadu_si512(s + 2 * i);
      const __m512i b = _mm512_maskz_loadu_epi16(0x7FFFFFFFu, s + 2 * i + 32);
      _mm512_storeu_si512(d + i, _mm512_permutex2var_epi16(a, even, b));
    }
    if (rem) {
      const __m512i a = _mm512_maskz_loadu_epi16(ma, s + 2 * full);
      const __m512i b = _mm512_maskz_loadu_epi16(mb, s + 2 * full + 32);
      _mm512_mask_storeu_epi16(d + full, md, _mm512_permutex2var_epi16(a, even, b));
    }
  }
}

// The planes of one kernel tap for `count` images (see Stride2::planes32).
template <class E, class Gather>
void planes(E* d, int64_t dimg, const E* s, int64_t simg, int64_t sld, int64_t count, int64_t oh, int64_t v0,
            int64_t v1, int64_t ow, int64_t lo, int64_t hi, Gather gather) {
  for (int64_t i = 0; i < count; ++i, d += dimg, s += simg) {
    for (int64_t e = 0; e < v0 * ow; ++e) d[e] = 0;
    E* row = d + v0 * ow;
    for (int64_t r = v0; r < v1; ++r, row += ow) {
      for (int64_t o = 0; o < lo; ++o) row[o] = 0;
      for (int64_t o = hi; o < ow; ++o) row[o] = 0;
    }
    if (hi > lo) gather(d + v0 * ow + lo, ow, s + v0 * sld + 2 * lo, sld, v1 - v0, hi - lo);
    for (int64_t e = v1 * ow; e < oh * ow; ++e) d[e] = 0;
  }
}

void planes32(uint32_t* d, int64_t dimg, const uint32_t* s, int64_t simg, int64_t sld, int64_t count, int64_t oh,
              int64_t v0, int64_t v1, int64_t ow, int64_t lo, int64_t hi) {
  planes(d, dimg, s, simg, sld, count, oh, v0, v1, ow, lo, hi, gather32);
}

void planes16(uint16_t* d, int64_t dimg, const uint16_t* s, int64_t simg, int64_t sld, int64_t count, int64_t oh,
              int64_t v0, int64_t v1, int64_t ow, int64_t lo, int64_t hi) {
  planes(d, dimg, s, simg, sld, count, oh, v0, v1, ow, lo, hi, gather16);
}

void panel32(float* d, int nr, const float* x, const int32_t* base, const int32_t* ih, const int32_t* iw,
             const int32_t* toff, const int32_t* tih, const int32_t* tiw, int64_t rows, int32_t h, int32_t w) {
  const __m512i vh = _mm512_set1_epi32(h), vw = _mm512_set1_epi32(w);
  for (int c = 0; c < nr; c += 16) {
    const __m512i b = _mm512_loadu_si512(base + c), i = _mm512_loadu_si512(ih + c), j = _mm512_loadu_si512(iw + c);
    float* o = d + c;
    for (int64_t r = 0; r < rows; ++r, o += nr) {
      // Unsigned compares: a negative index wraps past h or w, so one compare checks both ends.
      const __mmask16 m = _mm512_cmplt_epu32_mask(_mm512_add_epi32(i, _mm512_set1_epi32(tih[r])), vh) &
                          _mm512_cmplt_epu32_mask(_mm512_add_epi32(j, _mm512_set1_epi32(tiw[r])), vw);
      const __m512i at = _mm512_add_epi32(b, _mm512_set1_epi32(toff[r]));
      _mm512_storeu_ps(o, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, at, x, 4));
    }
  }
}

}  // namespace

const Stride2* stride2_avx512() {
  static const Stride2 k{gather16, gather32, planes16, planes32, panel32};
  return &k;
}

}  // namespace conv
}  // namespace mt
