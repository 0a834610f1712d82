import { describe, expect, it } from 'vitest';
import { BroadcastError, DTypeError, runKernel, Tensor, tensor, tidy, where } from '../src/index';
import { checkCase, loadCases } from './helpers/elementwise';

const cases = loadCases('elementwise_misc').filter((c) => c.op === 'where');

describe('where matches PyTorch', () => {
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_, c) => checkCase(c));
});

describe('where', () => {
  it('copies values exactly, NaN payloads included', () => {
    tidy(() => {
      const bits = new Uint16Array([0x7c01, 0xfe00, 0x8000, 0x0001]);
      const a = Tensor.fromBits(bits, 'float16');
      const out = where(tensor([true, true, true, true]), a, 0);
      expect(Array.from(out.bits())).toEqual(Array.from(bits));
    });
  });
  it('two scalars give float32 (bool when both are booleans)', () => {
    tidy(() => {
      const c = tensor([true, false]);
      expect(where(c, 1, 0).dtype).toBe('float32');
      expect(where(c, 1, 0).toArray()).toEqual([1, 0]);
      expect(where(c, true, false).dtype).toBe('bool');
    });
  });
  it('refuses a non-bool condition and impossible broadcasts', () => {
    expect(() => where(tensor([1, 0]), 1, 0)).toThrow(DTypeError);
    expect(() => where(tensor([1, 0]), 1, 0)).toThrow(/^where: unsupported dtype float32 \(expected bool\)/);
    expect(() => where(tensor([true, false]), tensor([1, 2, 3]), 0)).toThrow(BroadcastError);
  });
  it('the kernel validates its arguments', () => {
    tidy(() => {
      const b = Tensor.empty([3], 'bool');
      const f = Tensor.empty([3], 'float32');
      expect(() => runKernel('where', [f, f, f, f])).toThrow(/where: condition dtype float32/);
      expect(() => runKernel('where', [b, f, Tensor.empty([3], 'float16'), f])).toThrow(/dtypes differ/);
      expect(() => runKernel('where', [b, f, f, Tensor.empty([2], 'float32')])).toThrow(/shape different/);
    });
  });
});
