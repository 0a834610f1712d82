import { expect } from 'vitest';
import type { Tensor } from '../../src/index';

type Bits = Uint8Array | Uint16Array | Uint32Array | Int32Array;

const hex = (v: number, width: number) => `0x${(v >>> 0).toString(16).padStart(width, '0')}`;

/**
 * Asserts two arrays of raw bits are identical, reporting the first few differences in hex with the
 * input that produced them (`input(i)`).
 */
export function expectSameBits(got: Bits, want: Bits, label: string, input?: (i: number) => string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const width = got.BYTES_PER_ELEMENT * 2;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      if (++count <= 5)
        bad.push(
          `[${i}]${input ? ` ${input(i)}` : ''}: got ${hex(got[i]!, width)}, want ${hex(want[i]!, width)}`,
        );
    }
  }
  if (count > 0) expect.fail(`${label}: ${count} of ${want.length} differ\n${bad.join('\n')}`);
}

/** The raw storage bits of a tensor's elements (row-major): 32-bit words for float32/float64/int32. */
export function rawBits(t: Tensor): Uint16Array | Uint32Array | Uint8Array {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return t.bits();
  const d = t.data();
  if (d instanceof Uint8Array) return d;
  return new Uint32Array(d.buffer, d.byteOffset, d.byteLength / 4);
}

export const hex32 = (v: number) => hex(v, 8);
export const hex16 = (v: number) => hex(v, 4);
