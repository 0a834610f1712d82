// AVX-512 pieces of the direct convolution (conv2d_direct.h). Following the SIMD file rule: every header
// first, then the target pragma, then only functions in an anonymous namespace plus the entry point,
// which conv2d_direct.cc calls after checking mt::isa(). Masked loads and stores never touch memory past
// the ends.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "conv2d_direct.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace mt {
namespace conv {
namespace {

__mmask16 first(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); }

void zero(float* d, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_setzero_ps());
  if (i < n) _mm512_mask_storeu_ps(d + i, first(n - i), _mm512_setzero_ps());
}

// n elements of one kind (float32, float16 or bfloat16 bits) at element stride `stride`, as float32.
__m512 widen16(const void* src, int32_t kind, __mmask16 m) {
  if (kind == 0) return _mm512_maskz_loadu_ps(m, src);
  const __m256i h = _mm256_maskz_loadu_epi16(m, src);
  if (kind == 1) return _mm512_cvtph_ps(h);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

float widen1(const void* src, int32_t kind, int64_t i) {
  if (kind == 0) return static_cast<const float*>(src)[i];
  const uint16_t h = static_cast<const uint16_t*>(src)[i];
  if (kind == 1) return _cvtsh_ss(h);
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void widen_row(float* d, const void* src, int32_t kind, int64_t stride, int64_t n) {
  if (stride != 1) {
    for (int64_t i = 0; i < n; ++i) d[i] = widen1(src, kind, i * stride);
    return;
  }
  const int64_t size = kind == 0 ? 4 : 2;
  const char* s = static_cast<const char*>(src);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first(n - i);
    _mm512_mask_storeu_ps(d + i, m, widen16(s + i * size, kind, m));
  }
}

// d[i] = s[i step] for i < n.
void pick(float* d, const float* s, int64_t step, int64_t n) {
  if (step == 1) {
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = first(n - i);
      _mm512_mask_storeu_ps(d + i, m, _mm512_maskz_loadu_ps(m, s + i));
    }
    return;
  }
  if (step == 2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t i = 0; i < n; i += 16) {
      const int64_t used = 2 * (n - i < 16 ? n - i : 16) - 1;  // source elements needed
      const __m512 a = _mm512_maskz_loadu_ps(first(used), s + 2 * i);
      const __m512 b = _mm512_maskz_loadu_ps(used > 16 ? first(used - 16) : 0, s + 2 * i + 16);
      _mm512_mask_storeu_ps(d + i, first(n - i), _mm512_permutex2var_ps(a, even, b));
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) d[i] = s[i * step];
}

// Output columns [q, q + 16) of the phase rows (conv2d_direct.h) come from a 32-element window of the
// source row from element base (>= 0): two masked loads, then per phase b one permute that also zeroes
// the lanes outside the row. The same for every row, so computed once a fill.
struct Chunk {
  int64_t base;
  __mmask16 lo, hi;   // lanes of the two loads inside [0, w)
  __m512i idx[2];     // window index of output lane i for phase b
  __mmask16 keep[2];  // output lanes whose source lies inside [0, w)
};

constexpr int64_t kMaxChunks = 64;  // phase rows of at most 1024 columns (wider ones take the row buffer)

int64_t chunks(Chunk* ch, int64_t w, int64_t sw, int64_t pw, int64_t wq) {
  int64_t n = 0;
  for (int64_t q = 0; q < wq; q += 16, ++n) {
    Chunk& c = ch[n];
    const int64_t start = q * sw - pw;
    c.base = start > 0 ? start : 0;
    const int64_t in_lo = w - c.base, in_hi = w - c.base - 16;
    c.lo = in_lo > 0 ? first(in_lo) : 0;
    c.hi = in_hi > 0 ? first(in_hi) : 0;
    for (int64_t b = 0; b < sw; ++b) {
      alignas(64) int32_t idx[16];
      uint32_t keep = 0;
      for (int i = 0; i < 16; ++i) {
        const int64_t e = start + i * sw + b;  // source element
        idx[i] = int32_t(e >= c.base ? e - c.base : 0);
        if (e >= 0 && e < w) keep |= 1u << i;
      }
      c.idx[b] = _mm512_load_si512(idx);
      c.keep[b] = __mmask16(keep);
    }
  }
  return n;
}

// The phase rows b < sw (sw of 1 or 2) of one unit-stride source row (nullptr: a padding row), straight
// from the source, each element loaded once: d[b plane + q] = row[q sw + b - pw] (0 outside [0, w)) for
// q < wq. Unmasked stores (Zen 4 runs masked stores slowly) write up to 15 floats past wq unless `last`
// (a row whose spill would leave its plane).
template <int KIND, int SW>
void phase_rows(float* d, int64_t plane, const char* row, const Chunk* ch, int64_t nch, int64_t wq, bool last) {
  constexpr int64_t size = KIND == 0 ? 4 : 2;
  for (int64_t n = 0; n < nch; ++n) {
    const Chunk& c = ch[n];
    const int64_t q = n * 16;
    __m512 lo = _mm512_setzero_ps(), hi = lo;
    if (row) {
      lo = widen16(row + c.base * size, KIND, c.lo);
      if (c.hi) hi = widen16(row + (c.base + 16) * size, KIND, c.hi);
    }
#pragma GCC unroll 2
    for (int b = 0; b < SW; ++b) {
      const __m512 v = _mm512_maskz_permutex2var_ps(c.keep[b], lo, c.idx[b], hi);
      if (last && q + 16 > wq)
        _mm512_mask_storeu_ps(d + b * plane + q, first(wq - q), v);
      else
        _mm512_storeu_ps(d + b * plane + q, v);
    }
  }
}

template <int KIND, int SW>
void fill_rows(const FillSpec& s) {
  constexpr int64_t size = KIND == 0 ? 4 : 2;
  Chunk ch[kMaxChunks];
  const int64_t nch = chunks(ch, s.w, SW, s.pw, s.wq), plane = s.hq * s.wq;
  const char* src = static_cast<const char*>(s.src);
  const int64_t planes = s.channels * s.sh * SW * plane;
  if (nch == 1) {
    // Rows of at most 16 columns (the small planes this path is for): the chunk's masks and indices
    // stay in registers.
    const __mmask16 lm = ch[0].lo, hm = ch[0].hi, k0 = ch[0].keep[0], k1 = ch[0].keep[SW - 1], tail = first(s.wq);
    const __m512i i0 = ch[0].idx[0], i1 = ch[0].idx[SW - 1];
    const int64_t base = ch[0].base * size;
    for (int64_t c = 0; c < s.channels; ++c)
      for (int64_t a = 0; a < s.sh; ++a) {
        float* d = s.dst + (c * s.sh + a) * SW * plane;
        for (int64_t r = 0; r < s.hq; ++r, d += s.wq) {
          const int64_t ih = r * s.sh + a - s.ph;
          __m512 v = _mm512_setzero_ps(), u = v;
          if (ih >= 0 && ih < s.h) {
            const char* row = src + (c * s.cs + ih * s.hs) * size + base;
            v = widen16(row, KIND, lm);
            if (hm) u = widen16(row + 16 * size, KIND, hm);
          }
          const __m512 e = _mm512_maskz_permutex2var_ps(k0, v, i0, u);
          if (r * s.wq + 16 > plane) {  // a spill would leave the plane
            _mm512_mask_storeu_ps(d, tail, e);
            if (SW == 2) _mm512_mask_storeu_ps(d + plane, tail, _mm512_maskz_permutex2var_ps(k1, v, i1, u));
          } else {
            _mm512_storeu_ps(d, e);
            if (SW == 2) _mm512_storeu_ps(d + plane, _mm512_maskz_permutex2var_ps(k1, v, i1, u));
          }
        }
      }
    zero(s.dst + planes, s.total - planes);
    return;
  }
  // Row by row, so that each row's spill past wq is overwritten by the next rows; the rows whose spill
  // would leave the plane (into one written before) are stored masked.
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t a = 0; a < s.sh; ++a) {
      float* d = s.dst + (c * s.sh + a) * SW * plane;
      for (int64_t r = 0; r < s.hq; ++r, d += s.wq) {
        const int64_t ih = r * s.sh + a - s.ph;
        const char* row = ih < 0 || ih >= s.h ? nullptr : src + (c * s.cs + ih * s.hs) * size;
        phase_rows<KIND, SW>(d, plane, row, ch, nch, s.wq, r * s.wq + 16 * nch > plane);
      }
    }
  zero(s.dst + planes, s.total - planes);
}

void fill(const FillSpec& s) {
  if (s.ws == 1 && s.sw <= 2 && s.wq <= 16 * kMaxChunks) {
    using Fn = void (*)(const FillSpec&);
    static const Fn fns[3][2] = {{fill_rows<0, 1>, fill_rows<0, 2>},
                                 {fill_rows<1, 1>, fill_rows<1, 2>},
                                 {fill_rows<2, 1>, fill_rows<2, 2>}};
    return fns[s.kind][s.sw - 1](s);
  }
  const int64_t plane = s.hq * s.wq, size = s.kind == 0 ? 4 : 2;
  const char* src = static_cast<const char*>(s.src);
  zero(s.dst, s.total);
  zero(s.row, row_floats(s.w, s.pw, s.sw, s.wq));
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t ih = 0; ih < s.h; ++ih) {
      const int64_t a = ih + s.ph, qa = a % s.sh, r = a / s.sh;
      if (r >= s.hq) continue;
      widen_row(s.row + s.pw, src + (c * s.cs + ih * s.hs) * size, s.kind, s.ws, s.w);
      float* d = s.dst + (c * s.sh + qa) * s.sw * plane + r * s.wq;
      for (int64_t qb = 0; qb < s.sw; ++qb, d += plane) pick(d, s.row + qb, s.sw, s.wq);
    }
}

// R consecutive positions of the virtual grid, all 16 lanes: R accumulators in registers, the tap's
// weights in one more, each input value broadcast from memory.
template <int R>
void tile(const float* plane, const int32_t* toff, const float* wpk, int64_t K, float* out) {
  __m512 acc[R];
#pragma GCC unroll 32
  for (int j = 0; j < R; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const __m512 a = _mm512_loadu_ps(wpk + k * kLanes);
    const float* q = plane + toff[k];
#pragma GCC unroll 32
    for (int j = 0; j < R; ++j) acc[j] = _mm512_fmadd_ps(a, _mm512_set1_ps(q[j]), acc[j]);
  }
#pragma GCC unroll 32
  for (int j = 0; j < R; ++j) _mm512_storeu_ps(out + j * kLanes, acc[j]);
}

void tiles(const float* plane, const int32_t* toff, const float* wpk, int64_t K, int64_t V, float* out) {
  constexpr int kMax = 28;
  int64_t v = 0;
  for (; v + kMax <= V; v += kMax) tile<kMax>(plane + v, toff, wpk, K, out + v * kLanes);
  const float* p = plane + v;
  float* o = out + v * kLanes;
  switch ((V - v + kTileStep - 1) / kTileStep) {
    case 1: return tile<4>(p, toff, wpk, K, o);
    case 2: return tile<8>(p, toff, wpk, K, o);
    case 3: return tile<12>(p, toff, wpk, K, o);
    case 4: return tile<16>(p, toff, wpk, K, o);
    case 5: return tile<20>(p, toff, wpk, K, o);
    case 6: return tile<24>(p, toff, wpk, K, o);
    case 7: return tile<28>(p, toff, wpk, K, o);
    default: return;
  }
}

// T taps at a time: T accumulators, each position's 16 gradients loaded once.
template <int T>
void taps_t(const float* plane, const int32_t* toff, const float* gyt, int64_t rows, int64_t cols, int64_t wq,
            float* acc) {
  __m512 a[T];
  const float* p[T];
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    a[t] = _mm512_loadu_ps(acc + t * kLanes);
    p[t] = plane + toff[t];
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* g = gyt + r * cols * kLanes;
    const int64_t base = r * wq;
    for (int64_t q = 0; q < cols; ++q) {
      const __m512 gv = _mm512_loadu_ps(g + q * kLanes);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) a[t] = _mm512_fmadd_ps(gv, _mm512_set1_ps(p[t][base + q]), a[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(acc + t * kLanes, a[t]);
}

void taps(const float* plane, const int32_t* toff, int64_t K, const float* gyt, int64_t rows, int64_t cols,
          int64_t wq, float* acc) {
  constexpr int kMax = 8;
  int64_t k = 0;
  for (; k + kMax <= K; k += kMax) taps_t<kMax>(plane, toff + k, gyt, rows, cols, wq, acc + k * kLanes);
  const int32_t* t = toff + k;
  float* a = acc + k * kLanes;
  switch (K - k) {
    case 1: return taps_t<1>(plane, t, gyt, rows, cols, wq, a);
    case 2: return taps_t<2>(plane, t, gyt, rows, cols, wq, a);
    case 3: return taps_t<3>(plane, t, gyt, rows, cols, wq, a);
    case 4: return taps_t<4>(plane, t, gyt, rows, cols, wq, a);
    case 5: return taps_t<5>(plane, t, gyt, rows, cols, wq, a);
    case 6: return taps_t<6>(plane, t, gyt, rows, cols, wq, a);
    case 7: return taps_t<7>(plane, t, gyt, rows, cols, wq, a);
    default: return;
  }
}

// In-register transpose of a 16 x 16 float block: r[i] lane j <-> r[j] lane i.
void transpose16(__m512* r) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int h = 0; h < 16; h += 8)
    for (int i = 0; i < 4; ++i) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xDD);
    }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

// Round to nearest even in integer arithmetic (vcvtneps2bf16 would flush subnormals), NaN made quiet:
// the bits half.h's float_to_bf16 gives.
__m256i to_bf16(__m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i high = _mm512_srli_epi32(u, 16);
  const __m512i lsb = _mm512_and_si512(high, _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
  const __mmask16 nan =
      _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
  const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x40));
  return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

// n (<= 16) values of v rounded once to `kind` at dst, element stride cs.
void put(void* dst, int32_t kind, __m512 v, int64_t n, int64_t cs) {
  alignas(64) uint32_t tmp[16];
  if (kind == 0) {
    if (cs == 1) return _mm512_mask_storeu_ps(dst, first(n), v);
    _mm512_store_ps(reinterpret_cast<float*>(tmp), v);
    for (int64_t i = 0; i < n; ++i) static_cast<uint32_t*>(dst)[i * cs] = tmp[i];
    return;
  }
  const __m256i h = kind == 1 ? _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC) : to_bf16(v);
  if (cs == 1) return _mm256_mask_storeu_epi16(dst, first(n), h);
  uint16_t* t = reinterpret_cast<uint16_t*>(tmp);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), h);
  for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i * cs] = t[i];
}

void store(const float* out, int64_t wq, int64_t rows, int64_t cols, int64_t lanes, const float* bias, void* dst,
           int32_t kind, int64_t ls, int64_t rs, int64_t cs) {
  const int64_t size = kind == 0 ? 4 : 2;
  char* d = static_cast<char*>(dst);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < cols; q += 16) {
      const int64_t n = cols - q < 16 ? cols - q : 16;
      __m512 v[16];
      const float* src = out + (r * wq + q) * kLanes;
      for (int64_t i = 0; i < 16; ++i) v[i] = i < n ? _mm512_loadu_ps(src + i * kLanes) : _mm512_setzero_ps();
      transpose16(v);
      for (int64_t l = 0; l < lanes; ++l)
        put(d + (l * ls + r * rs + q * cs) * size, kind, bias ? _mm512_add_ps(v[l], _mm512_set1_ps(bias[l])) : v[l],
            n, cs);
    }
}

void gather(const void* src, int32_t kind, int64_t lanes, int64_t ls, int64_t rows, int64_t cols, int64_t rs,
            int64_t cs, float* dst) {
  const int64_t size = kind == 0 ? 4 : 2;
  const char* s = static_cast<const char*>(src);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < cols; q += 16) {
      const int64_t n = cols - q < 16 ? cols - q : 16;
      __m512 v[16];
      for (int64_t l = 0; l < 16; ++l) {
        if (l >= lanes) {
          v[l] = _mm512_setzero_ps();
          continue;
        }
        const char* p = s + (l * ls + r * rs + q * cs) * size;
        if (cs == 1) {
          v[l] = widen16(p, kind, first(n));
          continue;
        }
        alignas(64) float t[16] = {};
        for (int64_t i = 0; i < n; ++i) t[i] = widen1(p, kind, i * cs);
        v[l] = _mm512_load_ps(t);
      }
      transpose16(v);
      float* o = dst + (r * cols + q) * kLanes;
      for (int64_t i = 0; i < n; ++i) _mm512_storeu_ps(o + i * kLanes, v[i]);
    }
}

}  // namespace

const Direct* direct_avx512() {
  static const Direct k{fill, tiles, taps, store, gather};
  return &k;
}

}  // namespace conv
}  // namespace mt
