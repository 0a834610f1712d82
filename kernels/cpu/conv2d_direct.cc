// The direct convolution's drivers (see conv2d_direct.h): geometry, weight packing, threads over images,
// and the one rounding into the output. The three kernels (conv2d.cc, conv2d_backward_input.cc,
// conv2d_backward_weight.cc) try these first and fall back to their GEMMs when a shape is not for them.
//
// Numerics: every output element is one float32 fma chain from 0, rounded once (the forward adds the
// bias first): over k = (ci, kh, kw) in order for the forward (as the GEMM does, so float32 gives the
// same bits), over (co, kh, kw) of one stride phase for the input gradient, and for the weight gradient
// over the positions of a fixed slice of the batch (kMaxSlices, a function of the shapes only), the
// slices' partials then added in order. So the bits do not depend on the thread count.
#include "conv2d_direct.h"

#include <cstring>

#include "conv2d.h"
#include "isa.h"

namespace mt {
namespace conv {

const Direct* direct() {
  static const Direct* chosen = isa() >= Isa::Avx512 ? direct_avx512() : nullptr;
  return chosen;
}

namespace {

thread_local Scratch plane_buf, out_buf, row_buf, gyt_buf, stage_buf;

template <class T>
constexpr int32_t kind_of() {
  return std::is_same<T, float>::value ? 0 : std::is_same<T, f16>::value ? 1 : 2;
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// The stride-phase buffer of one image's group of input channels (conv2d_direct.h), shared by the
// forward and the weight gradient: plane sizes, per-tap offsets and the virtual grid.
struct Phases {
  int64_t hq, wq, planes, total;  // total: floats with the slack a tile may read past the planes
  std::vector<int32_t> toff;      // kg offsets, k = (ci, kh, kw)
};

Phases phases(const Geometry& g) {
  Phases f;
  const int64_t s = g.sh * g.sw;
  f.hq = g.oh + (g.kh - 1) * g.dh / g.sh;
  f.wq = g.ow + (g.kw - 1) * g.dw / g.sw;
  f.planes = g.cg * s * f.hq * f.wq;
  f.total = f.planes + f.wq + 64;
  f.toff.resize(size_t(g.kg));
  for (int64_t ci = 0, k = 0; ci < g.cg; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j, ++k) {
        const int64_t a = i * g.dh, b = j * g.dw;
        f.toff[size_t(k)] = int32_t(((ci * g.sh + a % g.sh) * g.sw + b % g.sw) * f.hq * f.wq + a / g.sh * f.wq + b / g.sw);
      }
  return f;
}

template <class T>
FillSpec fill_spec(const Geometry& g, const Phases& f, const mt_tensor& x, int64_t n, int64_t gi, float* dst,
                   float* row) {
  using E = typename Bits<T>::type;
  const int64_t* xs = x.layout.strides;
  FillSpec s;
  s.src = static_cast<const E*>(x.data) + x.layout.offset + n * xs[0] + gi * g.cg * xs[1];
  s.kind = kind_of<T>();
  s.cs = xs[1];
  s.hs = xs[2];
  s.ws = xs[3];
  s.channels = g.cg;
  s.h = g.h;
  s.w = g.w;
  s.sh = g.sh;
  s.sw = g.sw;
  s.ph = g.ph;
  s.pw = g.pw;
  s.hq = f.hq;
  s.wq = f.wq;
  s.total = f.total;
  s.dst = dst;
  s.row = row;
  return s;
}

// Offsets stay int32 and a thread's buffers small. min_lanes: the forward and the weight gradient, whose
// GEMMs put the output channels on rows of 8, go direct from 2 output channels (the seed's 16 -> 2 layer:
// measured faster, float32 and bfloat16); the input gradient, whose GEMM has input channels x taps rows
// (27 for 3 channels) and whose direct lanes are input channels, from 8.
bool small(const Geometry& g, int64_t planes, int64_t lanes_channels, int64_t other_channels, int64_t min_lanes) {
  return lanes_channels >= min_lanes && lanes_channels <= 32 && other_channels <= 64 && g.n > 0 &&
         planes * int64_t(sizeof(float)) <= kScratchBytes && g.w <= (int64_t(1) << 16) && g.kg <= 4096;
}

template <class T>
void forward(const Geometry& g, const Direct& d, const mt_tensor& x, const mt_tensor& w, const mt_tensor* bias,
             const mt_tensor& y) {
  using E = typename Bits<T>::type;
  const Phases f = phases(g);
  const int64_t ncb = (g.cog + kLanes - 1) / kLanes;
  // Weights as [group][channel block][k][16 lanes].
  std::vector<float> wpk(size_t(g.groups * ncb * g.kg * kLanes), 0.0f);
  const E* wd = static_cast<const E*>(w.data) + w.layout.offset;
  const int64_t* ws = w.layout.strides;
  for (int64_t o = 0; o < g.co; ++o) {
    const int64_t gi = o / g.cog, oc = o % g.cog;
    float* dst = wpk.data() + ((gi * ncb + oc / kLanes) * g.kg) * kLanes + oc % kLanes;
    for (int64_t ci = 0, k = 0; ci < g.cg; ++ci)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j, ++k)
          dst[k * kLanes] = load(reinterpret_cast<const T&>(wd[o * ws[0] + ci * ws[1] + i * ws[2] + j * ws[3]]));
  }
  std::vector<float> bf;
  if (bias) {
    const T* bd = static_cast<const T*>(bias->data) + bias->layout.offset;
    for (int64_t o = 0; o < g.co; ++o) bf.push_back(float(load(bd[o * bias->layout.strides[0]])));
  }
  T* yd = static_cast<T*>(y.data) + y.layout.offset;
  const int64_t V = (g.oh - 1) * f.wq + g.ow;
  run_units(g.n * g.groups, [&](int64_t u) {
    const int64_t n = u / g.groups, gi = u % g.groups;
    float* plane = plane_buf.get<float>(f.total);
    float* out = out_buf.get<float>(round_up(V, kTileStep) * kLanes);
    d.fill(fill_spec<T>(g, f, x, n, gi, plane, row_buf.get<float>(row_floats(g.w, g.pw, g.sw, f.wq))));
    for (int64_t cb = 0; cb < ncb; ++cb) {
      d.tiles(plane, f.toff.data(), wpk.data() + (gi * ncb + cb) * g.kg * kLanes, g.kg, V, out);
      const int64_t lanes = std::min<int64_t>(kLanes, g.cog - cb * kLanes), o0 = gi * g.cog + cb * kLanes;
      d.store(out, f.wq, g.oh, g.ow, lanes, bias ? bf.data() + o0 : nullptr, yd + (n * g.co + o0) * g.p, kind_of<T>(),
              g.p, g.ow, 1);
    }
  });
}

// One stride phase (a, b) of the padded input gradient: its rows A0 .. A0 + na (padded row A sh + a) and
// columns B0 .. B0 + nb, and its taps' offsets into the padded output gradient.
struct Phase {
  int64_t a, b, a0, na, b0, nb;
  std::vector<int32_t> toff;                  // k = (co, kh, kw) over this phase's taps
  std::vector<std::pair<int64_t, int64_t>> tap;  // (kh, kw) of each tap, in order
};

template <class T>
void backward_input(const Geometry& g, const Direct& d, const mt_tensor& gy, const mt_tensor& w,
                    const mt_tensor& dx) {
  using E = typename Bits<T>::type;
  const int64_t mh = (g.kh - 1) * g.dh / g.sh, mw = (g.kw - 1) * g.dw / g.sw;
  std::vector<Phase> ps;
  int64_t amax = g.oh, bmax = 0;
  for (int64_t a = 0; a < g.sh; ++a)
    for (int64_t b = 0; b < g.sw; ++b) {
      Phase p;
      p.a = a;
      p.b = b;
      // Padded rows A sh + a inside [ph, ph + h).
      p.a0 = g.ph > a ? (g.ph - a + g.sh - 1) / g.sh : 0;
      p.na = (g.ph + g.h - 1 - a >= 0 ? (g.ph + g.h - 1 - a) / g.sh + 1 : 0) - p.a0;
      p.b0 = g.pw > b ? (g.pw - b + g.sw - 1) / g.sw : 0;
      p.nb = (g.pw + g.w - 1 - b >= 0 ? (g.pw + g.w - 1 - b) / g.sw + 1 : 0) - p.b0;
      if (p.na <= 0 || p.nb <= 0) continue;
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          if (i * g.dh % g.sh == a && j * g.dw % g.sw == b) p.tap.emplace_back(i, j);
      amax = std::max(amax, p.a0 + p.na);
      bmax = std::max(bmax, p.b0 + p.nb);
      ps.push_back(std::move(p));
    }
  // wg, the padded gradient's row stride and the virtual grid's width, is max(ow + mw, bmax) rather
  // than max(ow, bmax) + mw: a read past the end of a row (a gy column past ow) lands in the next row's
  // left padding, which is 0 (the seed's 7x7: 8 columns instead of 9).
  const int64_t rg = amax + mh, wg = std::max(g.ow + mw, bmax), total = g.cog * rg * wg + wg + 64;
  for (Phase& p : ps)
    for (int64_t co = 0; co < g.cog; ++co)
      for (const auto& t : p.tap)
        p.toff.push_back(int32_t(co * rg * wg + (p.a0 - t.first * g.dh / g.sh + mh) * wg +
                                 (p.b0 - t.second * g.dw / g.sw + mw)));
  // Weights as [group][channel block][phase][k][16 lanes], lanes the input channels.
  const int64_t ncb = (g.cg + kLanes - 1) / kLanes, taps = g.kh * g.kw;
  const int64_t per_block = g.cog * taps * kLanes;
  std::vector<float> wpk(size_t(g.groups * ncb * per_block), 0.0f);
  std::vector<int64_t> phase_at(ps.size());
  const E* wd = static_cast<const E*>(w.data) + w.layout.offset;
  const int64_t* ws = w.layout.strides;
  for (int64_t gi = 0; gi < g.groups; ++gi)
    for (int64_t cb = 0; cb < ncb; ++cb) {
      float* dst = wpk.data() + (gi * ncb + cb) * per_block;
      for (size_t pi = 0; pi < ps.size(); ++pi) {
        phase_at[pi] = dst - (wpk.data() + (gi * ncb + cb) * per_block);
        for (int64_t co = 0; co < g.cog; ++co)
          for (const auto& t : ps[pi].tap) {
            for (int64_t l = 0; l < kLanes && cb * kLanes + l < g.cg; ++l)
              dst[l] = load(reinterpret_cast<const T&>(
                  wd[(gi * g.cog + co) * ws[0] + (cb * kLanes + l) * ws[1] + t.first * ws[2] + t.second * ws[3]]));
            dst += kLanes;
          }
      }
    }
  int64_t vmax = 0;
  for (const Phase& p : ps) vmax = std::max(vmax, (p.na - 1) * wg + p.nb);
  const E* gyd = static_cast<const E*>(gy.data) + gy.layout.offset;
  const int64_t* gs = gy.layout.strides;
  T* dxd = static_cast<T*>(dx.data) + dx.layout.offset;
  run_units(g.n * g.groups, [&](int64_t u) {
    const int64_t n = u / g.groups, gi = u % g.groups;
    float* plane = plane_buf.get<float>(total);
    float* out = out_buf.get<float>(round_up(vmax, kTileStep) * kLanes);
    float* stage = stage_buf.get<float>(g.h * g.w * kLanes);
    FillSpec s;
    s.src = gyd + n * gs[0] + gi * g.cog * gs[1];
    s.kind = kind_of<T>();
    s.cs = gs[1];
    s.hs = gs[2];
    s.ws = gs[3];
    s.channels = g.cog;
    s.h = g.oh;
    s.w = g.ow;
    s.sh = s.sw = 1;
    s.ph = mh;
    s.pw = mw;
    s.hq = rg;
    s.wq = wg;
    s.total = total;
    s.dst = plane;
    s.row = row_buf.get<float>(row_floats(g.ow, mw, 1, wg));
    d.fill(s);
    for (int64_t cb = 0; cb < ncb; ++cb) {
      const int64_t lanes = std::min<int64_t>(kLanes, g.cg - cb * kLanes);
      for (size_t pi = 0; pi < ps.size(); ++pi) {
        const Phase& p = ps[pi];
        const int64_t V = (p.na - 1) * wg + p.nb;
        d.tiles(plane, p.toff.data(), wpk.data() + (gi * ncb + cb) * per_block + phase_at[pi],
                int64_t(p.toff.size()), V, out);
        // Into the image's staging block, position-major (one vector store a position), so that
        // the phases interleave without strided stores.
        const int64_t ih = p.a0 * g.sh + p.a - g.ph, iw = p.b0 * g.sw + p.b - g.pw;
        for (int64_t r = 0; r < p.na; ++r) {
          float* dst = stage + ((ih + r * g.sh) * g.w + iw) * kLanes;
          const float* src = out + r * wg * kLanes;
          for (int64_t q = 0; q < p.nb; ++q)
            std::memcpy(dst + q * g.sw * kLanes, src + q * kLanes, kLanes * sizeof(float));
        }
      }
      d.store(stage, 0, 1, g.h * g.w, lanes, nullptr, dxd + (n * g.c + gi * g.cg + cb * kLanes) * g.h * g.w,
              kind_of<T>(), g.h * g.w, 0, 1);
    }
  });
}

constexpr int64_t kMaxSlices = 8;

template <class T>
void backward_weight(const Geometry& g, const Direct& d, const mt_tensor& gy, const mt_tensor& x,
                     const mt_tensor& dw) {
  using E = typename Bits<T>::type;
  const Phases f = phases(g);
  const int64_t ncb = (g.cog + kLanes - 1) / kLanes;
  const int64_t part = g.groups * ncb * g.kg * kLanes;  // [group][channel block][k][16 lanes]
  const int64_t slices = std::min(g.n, kMaxSlices);
  std::vector<float> partial(size_t(slices * part), 0.0f);
  const E* gyd = static_cast<const E*>(gy.data) + gy.layout.offset;
  const int64_t* gs = gy.layout.strides;
  run_units(slices, [&](int64_t sl) {
    float* plane = plane_buf.get<float>(f.total);
    float* row = row_buf.get<float>(row_floats(g.w, g.pw, g.sw, f.wq));
    float* gyt = gyt_buf.get<float>(g.p * kLanes);
    float* acc = partial.data() + sl * part;
    for (int64_t n = sl * g.n / slices; n < (sl + 1) * g.n / slices; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        d.fill(fill_spec<T>(g, f, x, n, gi, plane, row));
        for (int64_t cb = 0; cb < ncb; ++cb) {
          const int64_t lanes = std::min<int64_t>(kLanes, g.cog - cb * kLanes);
          d.gather(gyd + n * gs[0] + (gi * g.cog + cb * kLanes) * gs[1], kind_of<T>(), lanes, gs[1], g.oh, g.ow, gs[2],
                   gs[3], gyt);
          d.taps(plane, f.toff.data(), g.kg, gyt, g.oh, g.ow, f.wq, acc + (gi * ncb + cb) * g.kg * kLanes);
        }
      }
  });
  T* out = static_cast<T*>(dw.data) + dw.layout.offset;
  for (int64_t o = 0; o < g.co; ++o) {
    const int64_t gi = o / g.cog, oc = o % g.cog;
    const float* src = partial.data() + ((gi * ncb + oc / kLanes) * g.kg) * kLanes + oc % kLanes;
    for (int64_t k = 0; k < g.kg; ++k) {
      float v = src[k * kLanes];
      for (int64_t s = 1; s < slices; ++s) v += src[s * part + k * kLanes];
      out[o * g.kg + k] = store<T>(v);
    }
  }
}

}  // namespace

bool direct_forward(const Geometry& g, int32_t dtype, const mt_tensor& x, const mt_tensor& w, const mt_tensor* bias,
                    const mt_tensor& y) {
  const Direct* d = direct();
  if (!d || dtype == MT_FLOAT64) return false;
  const int64_t hq = g.oh + (g.kh - 1) * g.dh / g.sh, wq = g.ow + (g.kw - 1) * g.dw / g.sw;
  if (!small(g, g.cg * g.sh * g.sw * hq * wq, g.cog, g.cg, 2) || (g.oh * wq + kTileStep) * kLanes * 4 > kScratchBytes)
    return false;
  dispatch_float(dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same<T, double>::value) forward<T>(g, *d, x, w, bias, y);
  });
  return true;
}

bool direct_backward_input(const Geometry& g, int32_t dtype, const mt_tensor& gy, const mt_tensor& w,
                           const mt_tensor& dx) {
  const Direct* d = direct();
  if (!d || dtype == MT_FLOAT64) return false;
  const int64_t rg = std::max(g.oh, (g.ph + g.h) / g.sh + 1) + (g.kh - 1) * g.dh / g.sh;
  const int64_t wg = std::max(g.ow, (g.pw + g.w) / g.sw + 1) + (g.kw - 1) * g.dw / g.sw;
  if (!small(g, g.cog * rg * wg, g.cg, g.cog, 8) || std::max(g.h * g.w, rg * wg) * kLanes * 4 > kScratchBytes)
    return false;
  dispatch_float(dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same<T, double>::value) backward_input<T>(g, *d, gy, w, dx);
  });
  return true;
}

bool direct_backward_weight(const Geometry& g, int32_t dtype, const mt_tensor& gy, const mt_tensor& x,
                            const mt_tensor& dw) {
  const Direct* d = direct();
  if (!d || dtype == MT_FLOAT64) return false;
  const int64_t hq = g.oh + (g.kh - 1) * g.dh / g.sh, wq = g.ow + (g.kw - 1) * g.dw / g.sw;
  if (!small(g, g.cg * g.sh * g.sw * hq * wq, g.cog, g.cg, 2) || g.p * kLanes * 4 > kScratchBytes) return false;
  dispatch_float(dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same<T, double>::value) backward_weight<T>(g, *d, gy, x, dw);
  });
  return true;
}

}  // namespace conv
}  // namespace mt
