import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type DType, Tensor, tensor } from '../../src/index';

/** A tensor as the generators store it: raw little-endian bytes, base64. */
export interface FixtureTensor {
  dtype: DType;
  shape: number[];
  data: string;
}

export interface FixtureFile<C> {
  generator: string;
  torch: string;
  cases: C[];
}

export function loadFixture<C>(name: string): FixtureFile<C> {
  return JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', `${name}.json`), 'utf8'),
  ) as FixtureFile<C>;
}

function bytes(f: FixtureTensor): ArrayBuffer {
  const b = Buffer.from(f.data, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The raw host values: bits for half types, numbers otherwise. */
export function fixtureValues(
  f: FixtureTensor,
): Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array {
  const buf = bytes(f);
  switch (f.dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'bool':
      return new Uint8Array(buf);
    default:
      return new Uint16Array(buf);
  }
}

export function fromFixture(f: FixtureTensor): Tensor {
  const values = fixtureValues(f);
  if (f.dtype === 'float16' || f.dtype === 'bfloat16')
    return Tensor.fromBits(values as Uint16Array, f.dtype, f.shape);
  return tensor(values as Float32Array, { dtype: f.dtype, shape: f.shape });
}

/** Distance in units in the last place between two half patterns (NaN equals NaN). */
export function halfUlps(a: number, b: number, dtype: 'float16' | 'bfloat16'): number {
  const expBits = dtype === 'float16' ? 0x7c00 : 0x7f80;
  const isNaNBits = (h: number) => (h & expBits) === expBits && (h & (expBits ^ 0x7fff)) !== 0;
  if (isNaNBits(a) || isNaNBits(b)) return isNaNBits(a) && isNaNBits(b) ? 0 : Infinity;
  // Map sign-magnitude to a monotonic integer line.
  const ord = (h: number) => (h & 0x8000 ? -(h & 0x7fff) : h);
  return Math.abs(ord(a) - ord(b));
}

function ulpsF32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const ord = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
  return Math.abs(ord(i[0]!) - ord(i[1]!));
}

export interface Tolerance {
  /** Max distance in ulps of the dtype (float16/bfloat16/float32). Default 0: bit-exact. */
  ulps?: number;
  /** For float64 (and float32 when given): |a - e| <= atol + rtol * |e|. */
  atol?: number;
  rtol?: number;
}

/**
 * Checks a result against a PyTorch fixture: same dtype and shape, and values within the tolerance
 * (bit-exact by default; NaN matches NaN, infinities must match exactly).
 */
export function expectMatches(
  actual: Tensor,
  expected: FixtureTensor,
  tol: Tolerance = {},
  label = '',
): void {
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect(actual.shape, `${label} shape`).toEqual(expected.shape);
  const want = fixtureValues(expected);
  const got = expected.dtype === 'float16' || expected.dtype === 'bfloat16' ? actual.bits() : actual.data();
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    let bad: number;
    if (expected.dtype === 'float16' || expected.dtype === 'bfloat16') {
      // Bit-exact also tells -0 from +0 (ulp distance does not).
      const signedZeroMismatch = (tol.ulps ?? 0) === 0 && (g & 0x7fff) === 0 && g !== w;
      bad = signedZeroMismatch ? Infinity : halfUlps(g, w, expected.dtype) - (tol.ulps ?? 0);
    } else if (expected.dtype === 'float32' && tol.atol === undefined && tol.rtol === undefined) {
      const signedZeroMismatch = (tol.ulps ?? 0) === 0 && g === 0 && !Object.is(g, w);
      bad = signedZeroMismatch ? Infinity : ulpsF32(g, w) - (tol.ulps ?? 0);
    } else if (expected.dtype === 'float32' || expected.dtype === 'float64') {
      if (Number.isNaN(w) || Number.isNaN(g)) bad = Number.isNaN(w) && Number.isNaN(g) ? 0 : Infinity;
      else if (!Number.isFinite(w) || !Number.isFinite(g)) bad = w === g ? 0 : Infinity;
      else bad = Math.abs(g - w) - ((tol.atol ?? 0) + (tol.rtol ?? 0) * Math.abs(w));
    } else {
      bad = g === w ? 0 : Infinity;
    }
    if (bad > worst) {
      worst = bad;
      worstAt = i;
    }
  }
  if (worstAt >= 0) {
    expect.fail(
      `${label}: element ${worstAt} is ${got[worstAt]} but PyTorch gives ${want[worstAt]} (${expected.dtype}, tolerance ${JSON.stringify(tol)})`,
    );
  }
}
