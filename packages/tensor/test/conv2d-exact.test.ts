// conv2d on integer-valued inputs, where float32 accumulation is exact: every blocking the kernels use
// (several images a GEMM, an image in chunks of columns, input channels in blocks) must give the exact
// result rounded once, bit for bit, against a plain float64 loop. Plus bit-identity across thread
// counts, and a float64 finite-difference check of both gradients.
import { afterAll, describe, expect, it } from 'vitest';
import {
  backendInfo,
  type Conv2dOptions,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  type DType,
  setNumThreads,
  type Tensor,
  tensor,
  tidy,
} from '../src/index';
import { prng } from './helpers/isa';

interface Geo {
  n: number;
  c: number;
  h: number;
  w: number;
  co: number;
  kh: number;
  kw: number;
  s: [number, number];
  p: [number, number];
  d: [number, number];
  g: number;
  oh: number;
  ow: number;
}

function geometry(x: readonly number[], w: readonly number[], o: Required<Conv2dOptions>): Geo {
  const pair = (v: Conv2dOptions['stride']): [number, number] =>
    typeof v === 'number' ? [v, v] : [v![0], v![1]];
  const [s, p, d] = [pair(o.stride), pair(o.padding), pair(o.dilation)];
  const [n, c, h, wd] = x as [number, number, number, number];
  const [co, , kh, kw] = w as [number, number, number, number];
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  return { n, c, h, w: wd, co, kh, kw, s, p, d, g: o.groups, oh, ow };
}

/** Calls f(n, o, ci, i, j, oy, ox, iy, ix) for every product term of the convolution. */
function eachTerm(
  g: Geo,
  f: (
    n: number,
    o: number,
    ci: number,
    i: number,
    j: number,
    oy: number,
    ox: number,
    iy: number,
    ix: number,
  ) => void,
) {
  const cg = g.c / g.g;
  const cog = g.co / g.g;
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.co; o++) {
      const grp = Math.floor(o / cog);
      for (let ci = 0; ci < cg; ci++)
        for (let i = 0; i < g.kh; i++)
          for (let j = 0; j < g.kw; j++)
            for (let oy = 0; oy < g.oh; oy++) {
              const iy = oy * g.s[0] - g.p[0] + i * g.d[0];
              if (iy < 0 || iy >= g.h) continue;
              for (let ox = 0; ox < g.ow; ox++) {
                const ix = ox * g.s[1] - g.p[1] + j * g.d[1];
                if (ix >= 0 && ix < g.w) f(n, o, grp * cg + ci, i, j, oy, ox, iy, ix);
              }
            }
    }
}

function reference(g: Geo, x: Float64Array, w: Float64Array, gy: Float64Array) {
  const cg = g.c / g.g;
  const y = new Float64Array(g.n * g.co * g.oh * g.ow);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  eachTerm(g, (n, o, c, i, j, oy, ox, iy, ix) => {
    const xi = ((n * g.c + c) * g.h + iy) * g.w + ix;
    const wi = ((o * cg + (c % cg)) * g.kh + i) * g.kw + j;
    const yi = ((n * g.co + o) * g.oh + oy) * g.ow + ox;
    y[yi] += x[xi]! * w[wi]!;
    dx[xi] += gy[yi]! * w[wi]!;
    dw[wi] += gy[yi]! * x[xi]!;
  });
  return { y, dx, dw };
}

function ints(count: number, seed: number, range: number): Float64Array {
  const r = prng(seed);
  return Float64Array.from({ length: count }, () => Math.floor(r() * (2 * range + 1)) - range);
}

const bitsOf = (t: Tensor): Uint16Array | Float32Array | Float64Array =>
  t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : (t.data() as Float32Array | Float64Array);

function expectRoundedOnce(got: Tensor, exact: Float64Array, shape: readonly number[], what: string) {
  const want = tidy(() => bitsOf(tensor(exact, { dtype: 'float64', shape }).to(got.dtype)));
  const have = bitsOf(got);
  expect(have.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (have[i] !== want[i])
      expect.fail(`${what}: element ${i} is ${have[i]}, expected ${want[i]} (${got.dtype})`);
  }
}

interface Shape {
  name: string;
  x: number[];
  w: number[];
  o: Conv2dOptions;
}

const SHAPES: Shape[] = [
  // 20 images: several images a GEMM
  { name: 'batch 20', x: [20, 6, 9, 8], w: [4, 6, 3, 3], o: { stride: 2, padding: 1 } },
  { name: 'batch 17 groups 2', x: [17, 4, 7, 7], w: [6, 2, 3, 2], o: { padding: [1, 0], groups: 2 } },
  // one large image: chunks of columns that start and end inside output rows, channel blocks
  { name: 'large image', x: [1, 5, 120, 123], w: [3, 5, 3, 3], o: { padding: 1, dilation: [2, 1] } },
  { name: 'large image 1x1', x: [2, 3, 150, 151], w: [4, 3, 1, 1], o: {} },
  { name: 'large image stride 2', x: [1, 3, 141, 133], w: [4, 3, 3, 3], o: { stride: 2, padding: 1 } },
  {
    name: 'large image stride 3',
    x: [1, 4, 131, 97],
    w: [2, 2, 5, 4],
    o: { stride: 3, padding: 2, groups: 2 },
  },
  // at least 8 channels on the vector lanes: the direct kernels (conv2d_direct.cc) on AVX-512
  { name: 'direct seed layer 2', x: [3, 16, 14, 14], w: [16, 16, 3, 3], o: { stride: 2, padding: 1 } },
  { name: 'direct stride 1, 2 lane blocks', x: [2, 9, 11, 13], w: [20, 9, 3, 3], o: { padding: 1 } },
  {
    name: 'direct stride 3 dilation',
    x: [2, 10, 17, 19],
    w: [9, 10, 3, 2],
    o: { stride: 3, padding: [2, 1], dilation: [2, 3] },
  },
  {
    name: 'direct groups 2',
    x: [2, 16, 9, 10],
    w: [20, 8, 3, 3],
    o: { stride: [2, 1], padding: 1, groups: 2 },
  },
  { name: 'direct batch 1, rows over 16', x: [1, 8, 5, 40], w: [17, 8, 2, 3], o: { stride: [1, 2] } },
  { name: 'direct 1x1', x: [2, 12, 6, 7], w: [8, 12, 1, 1], o: {} },
  // rows narrower than 8: a row's unmasked 16-float store would reach past its plane
  { name: 'direct tiny planes', x: [3, 8, 4, 5], w: [9, 8, 2, 2], o: {} },
];

const full = (o: Conv2dOptions): Required<Conv2dOptions> => ({
  stride: o.stride ?? 1,
  padding: o.padding ?? 0,
  dilation: o.dilation ?? 1,
  groups: o.groups ?? 1,
});

describe('exact integer convolutions', () => {
  it.each(SHAPES.map((s) => [s.name, s] as const))('%s', (_, s) => {
    const o = full(s.o);
    const g = geometry(s.x, s.w, o);
    const yShape = [g.n, g.co, g.oh, g.ow];
    // |values| <= 1 keeps every sum exact in float32 and every forward/input-gradient sum exact in
    // bfloat16 (at most 80 terms); the weight gradients are then rounded once.
    const x = ints(g.n * g.c * g.h * g.w, 1, 1);
    const w = ints(
      s.w.reduce((a, b) => a * b),
      2,
      1,
    );
    const gy = ints(
      yShape.reduce((a, b) => a * b),
      3,
      1,
    );
    const ref = reference(g, x, w, gy);
    for (const dtype of ['float32', 'float16', 'bfloat16'] as DType[]) {
      tidy(() => {
        const [xt, wt, gyt] = [
          tensor(x, { dtype: 'float64', shape: s.x }).to(dtype),
          tensor(w, { dtype: 'float64', shape: s.w }).to(dtype),
          tensor(gy, { dtype: 'float64', shape: yShape }).to(dtype),
        ];
        expectRoundedOnce(conv2d(xt, wt, null, o), ref.y, yShape, `${dtype} y`);
        expectRoundedOnce(conv2dBackwardInput(gyt, wt, s.x, o), ref.dx, s.x, `${dtype} dx`);
        expectRoundedOnce(conv2dBackwardWeight(gyt, xt, s.w, o), ref.dw, s.w, `${dtype} dw`);
      });
    }
  });
});

describe('thread counts', () => {
  const initial = backendInfo().threads;
  afterAll(() => setNumThreads(initial));
  it('give the same bits', () => {
    const o = { stride: 2, padding: 1 };
    // 5 -> 7 channels take the GEMMs, 8 -> 9 the direct kernels (on AVX-512).
    const run = (threads: number, c: number, co: number) => {
      setNumThreads(threads);
      return tidy(() => {
        const r = prng(9);
        const x = tensor(
          Float64Array.from({ length: 24 * c * 13 * 11 }, () => r() - 0.5),
          { dtype: 'float64', shape: [24, c, 13, 11] },
        );
        const w = tensor(
          Float64Array.from({ length: co * c * 3 * 3 }, () => r() - 0.5),
          { dtype: 'float64', shape: [co, c, 3, 3] },
        );
        return (['float32', 'bfloat16'] as DType[]).flatMap((dtype) => {
          const [xt, wt] = [x.to(dtype), w.to(dtype)];
          const y = conv2d(xt, wt, null, o);
          return [y, conv2dBackwardInput(y, wt, xt.shape, o), conv2dBackwardWeight(y, xt, wt.shape, o)].map(
            (t) => Array.from(bitsOf(t)),
          );
        });
      });
    };
    for (const [c, co] of [
      [5, 7],
      [8, 9],
    ] as const) {
      const one = run(1, c, co);
      expect(run(3, c, co)).toEqual(one);
      expect(run(2, c, co)).toEqual(one);
    }
  });
});

describe('float64 finite differences', () => {
  it('match both gradients', () => {
    const o = full({ stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 });
    const xShape = [2, 4, 5, 6];
    const wShape = [4, 2, 3, 2];
    const r = prng(5);
    const rand = (n: number) => Float64Array.from({ length: n }, () => 2 * r() - 1);
    const x = rand(240);
    const w = rand(48);
    const g = geometry(xShape, wShape, o);
    const gy = rand(g.n * g.co * g.oh * g.ow);
    const yShape = [g.n, g.co, g.oh, g.ow];
    tidy(() => {
      const t = (a: Float64Array, shape: number[]) => tensor(a, { dtype: 'float64', shape });
      const gyt = t(gy, yShape);
      // L = sum(conv2d(x, w) * gy); dL/dx and dL/dw by central differences.
      const loss = (xa: Float64Array, wa: Float64Array) =>
        tidy(() => {
          const y = conv2d(t(xa, xShape), t(wa, wShape), null, o).data() as Float64Array;
          return y.reduce((acc, v, i) => acc + v * gy[i]!, 0);
        });
      const numeric = (a: Float64Array, f: (p: Float64Array) => number) =>
        Array.from(a, (_, i) => {
          const plus = Float64Array.from(a);
          const minus = Float64Array.from(a);
          plus[i]! += 1e-6;
          minus[i]! -= 1e-6;
          return (f(plus) - f(minus)) / 2e-6;
        });
      const dx = conv2dBackwardInput(gyt, t(w, wShape), xShape, o).data() as Float64Array;
      const dw = conv2dBackwardWeight(gyt, t(x, xShape), wShape, o).data() as Float64Array;
      const ndx = numeric(x, (p) => loss(p, w));
      const ndw = numeric(w, (p) => loss(x, p));
      for (const [i, v] of ndx.entries()) expect(Math.abs(dx[i]! - v), `dx[${i}]`).toBeLessThan(1e-7);
      for (const [i, v] of ndw.entries()) expect(Math.abs(dw[i]! - v), `dw[${i}]`).toBeLessThan(1e-7);
      expect(dx.some((v) => v !== 0) && dw.some((v) => v !== 0)).toBe(true);
    });
  });
});
