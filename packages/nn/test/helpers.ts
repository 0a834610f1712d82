import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DType, Tensor, tensor } from '@mantissa/tensor';
import { expect } from 'vitest';

/** A tensor as the generators store it: raw little-endian bytes, base64 (see fixtures/nnref.py). */
export interface FixtureTensor {
  dtype: DType;
  shape: number[];
  data: string;
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as T;
}

function bytes(f: FixtureTensor): ArrayBuffer {
  const b = Buffer.from(f.data, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export function fromFixture(f: FixtureTensor): Tensor {
  const buf = bytes(f);
  switch (f.dtype) {
    case 'float32':
      return tensor(new Float32Array(buf), { shape: f.shape });
    case 'float64':
      return tensor(new Float64Array(buf), { shape: f.shape });
    case 'int32':
      return tensor(new Int32Array(buf), { shape: f.shape });
    case 'float16':
    case 'bfloat16':
      return Tensor.fromBits(new Uint16Array(buf), f.dtype, f.shape);
    default:
      throw new Error(`fixture dtype ${f.dtype} not handled`);
  }
}

/** The values as float64 numbers (half types decoded exactly). */
export function valuesOf(t: Tensor): Float64Array {
  const f = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.double() : t;
  const v = Float64Array.from(f.data() as ArrayLike<number>);
  if (f !== t) f.dispose();
  return v;
}

export interface Tolerance {
  /** |actual - expected| <= atol + rtol |expected| (both default 0: exact). */
  atol?: number;
  rtol?: number;
}

/** Checks dtype, shape and every value against the expected tensor, naming the worst element. */
export function expectClose(
  actual: Tensor,
  expected: FixtureTensor | Tensor,
  tol: Tolerance = {},
  label = '',
): void {
  const want = expected instanceof Tensor ? expected : fromFixture(expected);
  expect(actual.dtype, `${label} dtype`).toBe(want.dtype);
  expect(actual.shape, `${label} shape`).toEqual(want.shape);
  const a = valuesOf(actual);
  const e = valuesOf(want);
  if (want !== expected) want.dispose();
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const bad = Object.is(a[i], e[i])
      ? 0
      : Math.abs(a[i]! - e[i]!) - ((tol.atol ?? 0) + (tol.rtol ?? 0) * Math.abs(e[i]!));
    if (!(bad <= worst)) {
      worst = Number.isNaN(bad) ? Infinity : bad;
      at = i;
    }
  }
  if (at >= 0) {
    expect.fail(
      `${label}: element ${at} is ${a[at]} but PyTorch gives ${e[at]} (tolerance ${JSON.stringify(tol)})`,
    );
  }
}

/** Catches the error fn throws (failing the test when it does not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return expect.fail('expected an error');
}
