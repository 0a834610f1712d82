import { describe, expect, it } from 'vitest';
import { ArgumentError, clamp, DTypeError, tensor, tidy } from '../src/index';
import { checkCase, loadCases } from './helpers/elementwise';

const cases = loadCases('elementwise_misc').filter((c) => c.op === 'clamp');

describe('clamp matches PyTorch', () => {
  it('covers every dtype', () => {
    const ids = new Set(cases.map((c) => c.id.split('/').slice(0, 2).join('/')));
    for (const dt of ['float32', 'float16', 'bfloat16', 'float64', 'int32'])
      expect(ids).toContain(`clamp/${dt}`);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_, c) => checkCase(c));
});

describe('clamp', () => {
  it('a NaN bound gives NaN; min > max gives max', () => {
    tidy(() => {
      const x = tensor([-2, 0.5, 3]);
      expect(x.clamp(Number.NaN, 1).toArray()).toEqual([Number.NaN, Number.NaN, Number.NaN]);
      expect(x.clamp(2, 1).toArray()).toEqual([1, 1, 1]);
      expect(x.clamp(null, 1).toArray()).toEqual([-2, 0.5, 1]);
    });
  });
  it('uses float32 bounds on half tensors (not the bound rounded to half first)', () => {
    tidy(() => {
      // 1.0009765625 is float16's successor of 1; a bound of 1.0004 sits between them.
      const h = tensor([1.0009765625, 1], { dtype: 'float16' });
      expect(clamp(h, null, 1.0004).toArray()).toEqual([1, 1]);
      expect(clamp(h, 1.0006, null).toArray()).toEqual([1.0009765625, 1.0009765625]);
    });
  });
  it('promotes like a binary op: a fractional bound makes int32 float32, a bool tensor becomes int32', () => {
    tidy(() => {
      expect(clamp(tensor([1, 5], { dtype: 'int32' }), 1.5).toArray()).toEqual([1.5, 5]);
      expect(clamp(tensor([1, 5], { dtype: 'int32' }), 1.5).dtype).toBe('float32');
      expect(clamp(tensor([true, false]), 1).dtype).toBe('int32');
    });
  });
  it('errors', () => {
    const x = tensor([1, 2]);
    expect(() => x.clamp()).toThrow(ArgumentError);
    expect(() => x.clamp()).toThrow(/^clamp: expected min\/max to be at least one bound/);
    expect(() => clamp(x, '1' as unknown as number)).toThrow(/^clamp: expected min to be a number/);
    expect(() => tensor([true]).clamp_(1)).toThrow(DTypeError);
    expect(() => clamp(tensor([1], { dtype: 'int32' }), -(2 ** 40))).toThrow(
      /^clamp: expected min to be a bound in the int32 range/,
    );
    expect(() => clamp(3 as unknown as never, 1)).toThrow(/^clamp: expected x to be a Tensor/);
  });
});
