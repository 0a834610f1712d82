import { describe, expect, it } from 'vitest';
import { eq, ge, gt, le, lt, ne, tensor, tidy } from '../src/index';
import { checkCase, loadCases } from './helpers/elementwise';

const COMPARISONS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const cases = loadCases('elementwise_binary').filter((c) => COMPARISONS.has(c.op));

describe('comparisons match PyTorch', () => {
  it('covers every comparison and dtype', () => {
    const ids = new Set(cases.map((c) => c.id.split('/').slice(0, 2).join('/')));
    for (const op of COMPARISONS) {
      for (const dt of ['float32', 'float16', 'bfloat16', 'float64', 'int32', 'bool'])
        expect(ids).toContain(`${op}/${dt}`);
    }
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_, c) => checkCase(c));
});

describe('comparisons', () => {
  it('compare a half tensor with the float32 scalar, not the scalar rounded to half (as a GPU does)', () => {
    tidy(() => {
      const h = tensor([0.1], { dtype: 'float16' }); // 0.0999755859375
      expect(eq(h, 0.1).item()).toBe(false);
      expect(lt(h, 0.1).item()).toBe(true);
      expect(eq(h, 0.0999755859375).item()).toBe(true);
    });
  });
  it('NaN compares unequal to everything, itself included', () => {
    tidy(() => {
      const x = tensor([Number.NaN]);
      for (const f of [eq, lt, le, gt, ge]) expect(f(x, x).item()).toBe(false);
      expect(ne(x, x).item()).toBe(true);
    });
  });
  it('scalar on the left', () => {
    tidy(() => {
      expect(gt(2, tensor([1, 2, 3])).toArray()).toEqual([true, false, false]);
      expect(le(2, tensor([1, 2, 3], { dtype: 'int32' })).toArray()).toEqual([false, true, true]);
    });
  });
});
