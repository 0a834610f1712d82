// dropout: no PyTorch fixture can hold the mask (the generators differ), so the properties are checked:
// the kept fraction, exact scaling against the elementwise ops (x * mask * (1/(1-p)) in float32, one
// rounding), reproducibility under manualSeed, independence from the thread count and the input's
// layout, eval/p=0 identity, the backward (also by float64 central differences), and errors.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  backendInfo,
  DTypeError,
  dropout,
  dropoutBackward,
  manualSeed,
  rand,
  ShapeError,
  setNumThreads,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../src/index';
import { distinctValues, finiteDifference } from '../helpers/nn';

const FLOATS = ['float32', 'float16', 'bfloat16', 'float64'] as const;
const hex = (t: Tensor): string => {
  const d = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : t.data();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
};
const countTrue = (m: Tensor): number => (m.data() as Uint8Array).reduce((a, b) => a + b, 0);

describe('dropout forward', () => {
  for (const dtype of FLOATS) {
    it(`${dtype}: kept values are x / (1 - p) rounded once, dropped ones 0, about 1 - p kept`, () =>
      tidy(() => {
        const n = 1 << 16;
        const x = rand([n], { dtype }).sub(0.5);
        for (const p of [0.1, 0.5, 0.8]) {
          const { output, mask } = dropout(x, p);
          expect(mask!.dtype).toBe('bool');
          expect(hex(output)).toBe(hex(x.mul(mask!).mul(1 / (1 - p))));
          const sd = Math.sqrt(n * p * (1 - p));
          expect(Math.abs(countTrue(mask!) - n * (1 - p))).toBeLessThan(5 * sd);
        }
      }));
  }
  it('a dropped inf or NaN gives NaN, as PyTorch (x * 0)', () =>
    tidy(() => {
      manualSeed(3);
      const x = tensor(new Float32Array(64).fill(Infinity));
      const { output, mask } = dropout(x, 0.5);
      const o = output.data();
      const m = mask!.data();
      for (let i = 0; i < 64; i++) expect(o[i]).toBe(m[i] ? Infinity : Number.NaN);
    }));
  it('p = 0 is the identity with an all-true mask; eval returns the input and no mask', () =>
    tidy(() => {
      const x = rand([5, 7]);
      const { output, mask } = dropout(x, 0);
      expect(hex(output)).toBe(hex(x));
      expect(countTrue(mask!)).toBe(35);
      const e = dropout(x, 0.5, false);
      expect(e.mask).toBeNull();
      expect(e.output.storage).toBe(x.storage);
      expect(hex(e.output)).toBe(hex(x));
    }));
  it('reproducible under manualSeed, fresh on each call', () =>
    tidy(() => {
      const x = rand([1000]);
      manualSeed(42);
      const a = hex(dropout(x, 0.3).mask!);
      const b = hex(dropout(x, 0.3).mask!);
      manualSeed(42);
      expect(hex(dropout(x, 0.3).mask!)).toBe(a);
      expect(b).not.toBe(a);
    }));
  it('the mask follows the row-major index, whatever the input layout', () =>
    tidy(() => {
      const x = rand([40, 30]).transpose(0, 1);
      manualSeed(7);
      const a = dropout(x, 0.5);
      manualSeed(7);
      const b = dropout(x.contiguous(), 0.5);
      expect(hex(a.mask!)).toBe(hex(b.mask!));
      expect(hex(a.output)).toBe(hex(b.output));
    }));
  it('does not depend on the thread count', () =>
    tidy(() => {
      const threads = backendInfo().threads;
      const x = rand([300001], { dtype: 'float16' });
      const run = (n: number): string => {
        setNumThreads(n);
        manualSeed(11);
        const { output, mask } = dropout(x, 0.4);
        return hex(output) + hex(mask!);
      };
      try {
        expect(run(1)).toBe(run(3));
      } finally {
        setNumThreads(threads);
      }
    }));
});

describe('dropout backward', () => {
  for (const dtype of FLOATS) {
    it(`${dtype}: gradOut * mask / (1 - p)`, () =>
      tidy(() => {
        const g = rand([333], { dtype });
        const { mask } = dropout(zeros([333], { dtype }), 0.25);
        expect(hex(dropoutBackward(g, mask!, 0.25))).toBe(hex(g.mul(mask!).mul(1 / 0.75)));
      }));
  }
  it('matches float64 central differences under a fixed mask', () =>
    tidy(() => {
      const x0 = distinctValues(24);
      const u = distinctValues(24, 4);
      const fwd = (x: Tensor) => {
        manualSeed(9);
        return dropout(x, 0.4).output;
      };
      manualSeed(9);
      const { mask } = dropout(tensor(x0, { dtype: 'float64', shape: [4, 6] }), 0.4);
      const g = dropoutBackward(tensor(u, { dtype: 'float64', shape: [4, 6] }), mask!, 0.4);
      finiteDifference(x0, [4, 6], fwd, u, g.data() as Float64Array);
    }));
});

describe('dropout errors', () => {
  it('p outside [0, 1), non-float inputs, bad masks', () =>
    tidy(() => {
      const x = zeros([4]);
      for (const p of [1, -0.1, Number.NaN, 2]) expect(() => dropout(x, p)).toThrow(ArgumentError);
      expect(() => dropout(x, 0.5, 'yes' as unknown as boolean)).toThrow(ArgumentError);
      expect(() => dropout(x.int(), 0.5)).toThrow(DTypeError);
      const { mask } = dropout(x, 0.5);
      expect(() => dropoutBackward(zeros([5]), mask!, 0.5)).toThrow(ShapeError);
      expect(() => dropoutBackward(x, x, 0.5)).toThrow(DTypeError);
      expect(() => dropoutBackward(x, mask!, 1)).toThrow(ArgumentError);
    }));
});
