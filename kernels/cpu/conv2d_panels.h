// float32 im2col written straight into the GEMM's packed B panels (gemm::PackB), skipping the im2col
// matrix and the pass that packs it. A panel entry pairs a kernel tap k = (ci, kh, kw) with an output
// position (`np` positions an image from p0; image j / np at x + (j / np) * xs[0]): the forward puts
// taps on the rows and positions on the columns, the weight gradient the other way round. Each side is
// a table of (offset, input row, input column); an entry is x[off_row + off_col] when the input
// coordinate lies inside the image, else 0 — exactly im2col's values, so the GEMM's bits are unchanged.
// Offsets are int32 (checked by panels_fit, conv2d.h).
#pragma once

#include <vector>

#include "conv2d.h"

namespace mt {
namespace conv {

struct Panels {
  const Geometry* g;
  const float* x;
  const int64_t* xs;
  int64_t np, p0;
};

// Taps k0 .. k0 + n: offset ci * xs[1] + kh * dh * xs[2] + kw * dw * xs[3], and (kh * dh, kw * dw).
inline void tap_table(const Panels& pn, int64_t k0, int64_t n, int32_t* off, int32_t* ih, int32_t* iw) {
  const Geometry& g = *pn.g;
  const int64_t taps = g.kh * g.kw;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t k = k0 + r, ci = k / taps, a = k % taps / g.kw, b = k % g.kw;
    ih[r] = int32_t(a * g.dh);
    iw[r] = int32_t(b * g.dw);
    off[r] = int32_t(ci * pn.xs[1] + a * g.dh * pn.xs[2] + b * g.dw * pn.xs[3]);
  }
}

// Positions j0 .. j0 + n: the image's offset plus the window's top-left corner, and that corner.
inline void position_table(const Panels& pn, int64_t j0, int64_t n, int32_t* off, int32_t* ih, int32_t* iw) {
  const Geometry& g = *pn.g;
  int64_t i = j0 / pn.np, q = pn.p0 + j0 % pn.np, oy = q / g.ow, ox = q % g.ow;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t y = oy * g.sh - g.ph, x = ox * g.sw - g.pw;
    ih[r] = int32_t(y);
    iw[r] = int32_t(x);
    off[r] = int32_t(i * pn.xs[0] + y * pn.xs[2] + x * pn.xs[3]);
    if (++ox == g.ow) {
      ox = 0;
      ++oy;
    }
    if (++q == pn.p0 + pn.np) {
      ++i;
      q = pn.p0;
      oy = q / g.ow;
      ox = q % g.ow;
    }
  }
}

using Table = void (*)(const Panels&, int64_t, int64_t, int32_t*, int32_t*, int32_t*);

// Fills panels of rows k0 .. k0 + kc and columns j0 .. j0 + nc (nr columns a panel, zero padded), the
// rows described by row_table and the columns by col_table.
inline void fill_panels(const Panels& pn, Table row_table, Table col_table, int64_t k0, int64_t kc, int64_t j0,
                        int64_t nc, int nr, float* dst) {
  thread_local std::vector<int32_t> rows;
  rows.resize(size_t(3 * kc));
  int32_t *roff = rows.data(), *rih = roff + kc, *riw = rih + kc;
  row_table(pn, k0, kc, roff, rih, riw);
  const Stride2* s2 = stride2();
  alignas(64) int32_t base[64], ih[64], iw[64];
  const int32_t h = int32_t(pn.g->h), w = int32_t(pn.g->w);
  for (int64_t jp = j0; jp < j0 + nc; jp += nr, dst += kc * nr) {
    const int64_t cols = std::min<int64_t>(nr, j0 + nc - jp);
    col_table(pn, jp, cols, base, ih, iw);
    for (int64_t c = cols; c < nr; ++c) {
      base[c] = 0;
      ih[c] = -(int32_t(1) << 30);  // never inside: the padding columns are 0
      iw[c] = 0;
    }
    if (s2 && nr % 16 == 0 && nr <= 64) {
      s2->panel32(dst, nr, pn.x, base, ih, iw, roff, rih, riw, kc, h, w);
      continue;
    }
    float* o = dst;
    for (int64_t r = 0; r < kc; ++r, o += nr)
      for (int64_t c = 0; c < nr; ++c) {
        const uint32_t y = uint32_t(ih[c] + rih[r]), x = uint32_t(iw[c] + riw[r]);
        o[c] = y < uint32_t(h) && x < uint32_t(w) ? pn.x[base[c] + roff[r]] : 0.0f;
      }
  }
}

}  // namespace conv
}  // namespace mt
