import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Tensor, tensor } from '@mantissa/tensor';
import { expect } from 'vitest';

/** A float32 tensor as the generators store it: raw little-endian bytes, base64. */
export interface FixtureTensor {
  dtype: 'float32';
  shape: number[];
  data: string;
}

export function loadJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as T;
}

export function values(f: FixtureTensor): Float32Array {
  const b = Buffer.from(f.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function fromFixture(f: FixtureTensor): Tensor {
  return tensor(values(f), { shape: f.shape });
}

/** float32 parameters after a step: PyTorch's separate ops and our fused pass may differ by an FMA per step. */
export function expectParam(
  actual: Tensor,
  expected: FixtureTensor,
  label: string,
  rtol = 2e-5,
  atol = 1e-6,
): void {
  expect(actual.shape, `${label} shape`).toEqual(expected.shape);
  const got = actual.data() as Float32Array;
  const want = values(expected);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= atol + rtol * Math.abs(want[i]!))) {
      expect.fail(`${label}[${i}]: got ${got[i]}, PyTorch gives ${want[i]} (|diff| ${err})`);
    }
  }
}
