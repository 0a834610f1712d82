// References for the GEMM tests: an exact float32 FMA-chain emulation (the kernel's documented
// numerics, so results can be checked bit for bit at any size), the vdpbf16ps variant of it, and a
// tolerance check against PyTorch's exact products.
import { expect } from 'vitest';
import type { Tensor } from '../../src/index';
import { encodeHalf, type HalfDType, isHalfNaN } from './half-reference';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to x (a float32) in direction dir (+1 or -1). */
function nextFloat(x: number, dir: number): number {
  f32[0] = x;
  if (x === 0) {
    u32[0] = 1;
    return dir > 0 ? f32[0] : -f32[0];
  }
  u32[0] += x > 0 === dir > 0 ? 1 : -1;
  return f32[0];
}

/**
 * fmaf(a, b, c) for float32 values, exactly: a * b is exact in float64; the sum's rounding error (two-sum)
 * breaks the one case where rounding the float64 sum to float32 would round twice (a float64 tie).
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  if (err === 0) return r;
  const other = nextFloat(r, s > r ? 1 : -1);
  if (Math.abs(s - r) !== Math.abs(other - s)) return r;
  return err > 0 === other > r ? other : r;
}

/** Row-major float32-valued matrices as float64 arrays, for the references. */
export interface Mat {
  rows: number;
  cols: number;
  v: Float64Array;
}

export function matOf(t: Tensor): Mat {
  const d = t.double();
  const m = { rows: t.shape.at(-2) ?? 1, cols: t.shape.at(-1)!, v: d.data() as Float64Array };
  d.dispose();
  return m;
}

/** The kernel's float32 chain: acc = fma(a[i][k], b[k][j], acc) for k = 0..K-1, from 0. */
export function chainProduct(a: Mat, b: Mat): Float64Array {
  const [m, k, n] = [a.rows, a.cols, b.cols];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let q = 0; q < k; q++) acc = fmaf(a.v[i * k + q]!, b.v[q * n + j]!, acc);
      out[i * n + j] = acc;
    }
  return out;
}

const TINY = 2 ** -126;
const daz = (x: number) => (Math.abs(x) < TINY ? 0 : x);
const ftz = (x: number) => (Math.abs(x) < TINY ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x);

/**
 * vdpbf16ps: for each pair (2p, 2p + 1) the odd product is added first, then the even one, each sum
 * rounded to float32; subnormal inputs read as zero, subnormal sums flushed to zero.
 */
export function dotBf16Product(a: Mat, b: Mat): Float64Array {
  const [m, k, n] = [a.rows, a.cols, b.cols];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let q = 0; q < k; q += 2) {
        if (q + 1 < k) acc = ftz(fmaf(daz(a.v[i * k + q + 1]!), daz(b.v[(q + 1) * n + j]!), acc));
        acc = ftz(fmaf(daz(a.v[i * k + q]!), daz(b.v[q * n + j]!), acc));
      }
      out[i * n + j] = acc;
    }
  return out;
}

/** The stored result of float32 accumulators: float32 values, or half bits rounded once. */
export function rounded(acc: Float64Array, dtype: 'float32' | HalfDType): Float32Array | Uint16Array {
  if (dtype === 'float32') return Float32Array.from(acc);
  return Uint16Array.from(acc, (x) =>
    Number.isNaN(x) ? (dtype === 'float16' ? 0x7e00 : 0x7fc0) : encodeHalf(x, dtype),
  );
}

/** Bit-exact comparison of a result with a reference (any NaN equals any NaN). */
export function expectBits(got: Tensor, want: Float32Array | Uint16Array, label: string): void {
  const half = got.dtype === 'float16' || got.dtype === 'bfloat16';
  const g = half ? got.bits() : (got.data() as Float32Array);
  const nan = (x: number) => (half ? isHalfNaN(x, got.dtype as HalfDType) : Number.isNaN(x));
  expect(g.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Object.is(g[i], want[i]) || (nan(g[i]!) && nan(want[i]!))) continue;
    expect.fail(`${label}: element ${i} is ${g[i]}, the reference chain gives ${want[i]}`);
  }
}

/**
 * A product within what float32 accumulation allows of the exactly rounded result: at most 1 ulp of the
 * result dtype (the two roundings of the exact value), plus the classic bound on the accumulator's
 * error, K * 2^-24 * (|a| |b|)_ij, for the rare element whose cancellation makes that exceed an ulp.
 * NaN must match NaN and infinities exactly.
 */
export function expectWithinAccumulation(
  got: Float64Array,
  expected: Float64Array,
  absProduct: Float64Array,
  k: number,
  ulp: (x: number) => number,
  label: string,
): void {
  expect(got.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [g, e] = [got[i]!, expected[i]!];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!(Object.is(g, e) || (Number.isNaN(g) && Number.isNaN(e))))
        expect.fail(`${label}: [${i}] ${g} vs ${e}`);
      continue;
    }
    const tol = ulp(e) + (k + 2) * 2 ** -24 * absProduct[i]!;
    if (!(Math.abs(g - e) <= tol))
      expect.fail(`${label}: element ${i} is ${g}, PyTorch's exact product ${e} (tolerance ${tol})`);
  }
}

/** The spacing of `dtype` values at x (its ulp), subnormals included. */
export function ulpOf(dtype: string): (x: number) => number {
  const [mant, emin] =
    dtype === 'float16'
      ? [10, -14]
      : dtype === 'bfloat16'
        ? [7, -126]
        : dtype === 'float32'
          ? [23, -126]
          : [52, -1022];
  return (x: number) => {
    const e = x === 0 ? emin : Math.max(emin, Math.floor(Math.log2(Math.abs(x))));
    return 2 ** (e - mant);
  };
}
