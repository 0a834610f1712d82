import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DType, Tensor, tensor } from '@mantissa/tensor';
import { expect } from 'vitest';
import { bceWithLogits, crossEntropy, mseLoss, nllLoss } from '../../src/index';

/** A tensor as gen_losses.py stores it (torchref.encode): raw little-endian bytes, base64. */
export interface FixtureTensor {
  dtype: DType;
  shape: number[];
  data: string;
}

export interface LossCase {
  op: 'crossEntropy' | 'nllLoss' | 'mseLoss' | 'bceWithLogits';
  options: { name: string; reduction?: 'none' | 'mean' | 'sum'; ignoreIndex?: number; posWeight?: number };
  inputs: Record<string, FixtureTensor>;
  expected: FixtureTensor;
  exact?: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  seed?: FixtureTensor;
}

export function loadLossCases(): LossCase[] {
  const file = join(__dirname, '..', 'fixtures', 'losses.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: LossCase[] }).cases;
}

function values(f: FixtureTensor): Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array {
  const b = Buffer.from(f.data, 'base64');
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
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
  const v = values(f);
  if (f.dtype === 'float16' || f.dtype === 'bfloat16')
    return Tensor.fromBits(v as Uint16Array, f.dtype, f.shape);
  return tensor(v as Float32Array, { dtype: f.dtype, shape: f.shape });
}

export interface Tolerance {
  /** Units in the last place of the dtype (float16/bfloat16/float32); default 0 = bit-exact. */
  ulps?: number;
  /** |actual - expected| <= atol + rtol * |expected| (used instead of ulps when given). */
  atol?: number;
  rtol?: number;
}

// An integer line on which adjacent floats of a dtype differ by 1 (sign-magnitude folded).
function ordinal(v: number, dtype: DType): number {
  if (dtype === 'float16' || dtype === 'bfloat16') return v & 0x8000 ? -(v & 0x7fff) : v;
  const i = new Int32Array(new Float32Array([v]).buffer)[0]!;
  return i < 0 ? -(i & 0x7fffffff) : i;
}

/** Same dtype and shape, values within the tolerance; NaN matches NaN, infinities match exactly. */
export function expectClose(actual: Tensor, expected: FixtureTensor, tol: Tolerance = {}, label = ''): void {
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect(actual.shape, `${label} shape`).toEqual(expected.shape);
  const half = expected.dtype === 'float16' || expected.dtype === 'bfloat16';
  const want = values(expected);
  const got = half ? actual.bits() : actual.data();
  const asNumber = (bits: number): number => {
    if (!half) return bits;
    const t = Tensor.fromBits(new Uint16Array([bits]), expected.dtype as 'float16', [1]);
    const v = t.data()[0]!;
    t.dispose();
    return v;
  };
  for (let i = 0; i < want.length; i++) {
    const w = asNumber(want[i]!);
    const g = asNumber(got[i]!);
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      expect(
        Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)),
        `${label} element ${i}: ${g} vs ${w}`,
      ).toBe(true);
      continue;
    }
    let ok: boolean;
    if (tol.atol !== undefined || tol.rtol !== undefined || expected.dtype === 'float64') {
      ok = Math.abs(g - w) <= (tol.atol ?? 0) + (tol.rtol ?? 0) * Math.abs(w);
    } else {
      const d = Math.abs(ordinal(got[i]!, expected.dtype) - ordinal(want[i]!, expected.dtype));
      ok = d <= (tol.ulps ?? 0) && (d > 0 || Object.is(g, w) || (tol.ulps ?? 0) > 0);
    }
    if (!ok) {
      expect.fail(
        `${label}: element ${i} is ${g} but PyTorch gives ${w} (${expected.dtype}, tolerance ${JSON.stringify(tol)})`,
      );
    }
  }
}

/** Runs the loss of a fixture case on its inputs (x, target and, for BCE, posWeight). */
export function runLoss(c: LossCase, inputs: Record<string, Tensor>): Tensor {
  const { reduction, ignoreIndex } = c.options;
  switch (c.op) {
    case 'crossEntropy':
      return crossEntropy(inputs.x!, inputs.target!, { reduction, ignoreIndex });
    case 'nllLoss':
      return nllLoss(inputs.x!, inputs.target!, { reduction, ignoreIndex });
    case 'mseLoss':
      return mseLoss(inputs.x!, inputs.target!, { reduction });
    case 'bceWithLogits':
      return bceWithLogits(inputs.x!, inputs.target!, {
        reduction,
        posWeight: inputs.posWeight ?? c.options.posWeight,
      });
  }
}
