import {
  add,
  clamp,
  div,
  manualSeed,
  maximum,
  minimum,
  mul,
  pow,
  sub,
  type Tensor,
  tensor,
  where,
} from '@mantissa/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import { gradcheck } from '../src/index';
import { leaf, leafT, spread } from './helpers';

beforeEach(() => manualSeed(1));

describe('binary ops pass gradcheck (float64, broadcasting, non-contiguous, scalars)', () => {
  const cases: [string, (a: Tensor, b: Tensor | number) => Tensor][] = [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['div', div],
  ];
  for (const [name, op] of cases) {
    it(`${name}: broadcast [3, 1, 5] with [4, 1]`, () => {
      expect(gradcheck((a, b) => op(a, b), [leaf([3, 1, 5]), spread([4, 1], 0.5, 2)])).toBe(true);
    });
    it(`${name}: non-contiguous operands`, () => {
      expect(
        gradcheck((a, b) => op(a, b), [leafT([3, 4]), spread([4, 3], 0.5, 2).detach().T.requiresGrad_()]),
      ).toBe(true);
    });
    it(`${name}: a scalar on either side`, () => {
      expect(gradcheck((a) => op(a, 1.5), [spread([2, 3], 0.5, 2)])).toBe(true);
      expect(gradcheck((a) => op(1.5 as never, a), [spread([2, 3], 0.5, 2)])).toBe(true);
    });
  }

  it('pow: tensor ** tensor, tensor ** scalar, scalar ** tensor', () => {
    expect(gradcheck((a, b) => pow(a, b), [spread([2, 3], 0.5, 2), leaf([3])])).toBe(true);
    for (const e of [2, 3, -2, 0.5, -0.5, -1, 1.7]) {
      expect(gradcheck((a) => pow(a, e), [spread([5], 0.5, 2)])).toBe(true);
    }
    expect(gradcheck((b) => pow(2.5, b), [leaf([4])])).toBe(true);
  });

  it('pow: exponent 0 gives a zero gradient, even at a base of 0', () => {
    const x = tensor([0, 1, 2], { dtype: 'float64' }).requiresGrad_();
    pow(x, 0).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([0, 0, 0]);
  });

  it('maximum and minimum, with a scalar, and split gradients on ties', () => {
    expect(gradcheck((a, b) => maximum(a, b), [spread([2, 3], -1, 1), spread([3], -0.9, 0.95)])).toBe(true);
    expect(gradcheck((a, b) => minimum(a, b), [spread([2, 3], -1, 1), spread([3], -0.9, 0.95)])).toBe(true);
    expect(gradcheck((a) => maximum(a, 0.1), [spread([5], -1, 1)])).toBe(true);
    const a = tensor([1, 2, 3]).requiresGrad_();
    const b = tensor([1, 5, 0]).requiresGrad_();
    maximum(a, b).sum().backward();
    expect(Array.from(a.grad!.data())).toEqual([0.5, 0, 1]);
    expect(Array.from(b.grad!.data())).toEqual([0.5, 1, 0]);
  });
});

describe('unary ops pass gradcheck', () => {
  const positive: [string, (x: Tensor) => Tensor][] = [
    ['log', (x) => x.log()],
    ['sqrt', (x) => x.sqrt()],
    ['rsqrt', (x) => x.rsqrt()],
  ];
  const any: [string, (x: Tensor) => Tensor][] = [
    ['neg', (x) => x.neg()],
    ['abs', (x) => x.abs()],
    ['relu', (x) => x.relu()],
    ['exp', (x) => x.exp()],
    ['sigmoid', (x) => x.sigmoid()],
    ['tanh', (x) => x.tanh()],
    ['clamp (both bounds)', (x) => x.clamp(-0.5, 0.6)],
    ['clamp (min only)', (x) => clamp(x, -0.3)],
    ['clamp (max only)', (x) => clamp(x, null, 0.2)],
  ];
  for (const [name, fn] of positive) {
    it(name, () => expect(gradcheck(fn, [spread([3, 4], 0.3, 3)])).toBe(true));
  }
  for (const [name, fn] of any) {
    it(name, () => expect(gradcheck(fn, [spread([3, 5], -1.3, 1.2)])).toBe(true));
    it(`${name} (non-contiguous)`, () => expect(gradcheck(fn, [leafT([3, 4])])).toBe(true));
  }
});

describe('where passes gradcheck', () => {
  it('both operands tensors, broadcast against the condition', () => {
    const cond = tensor([true, false, true, false, false, true]).reshape([2, 3]);
    expect(gradcheck((a, b) => where(cond, a, b), [leaf([2, 3]), leaf([3])])).toBe(true);
  });
  it('a scalar operand', () => {
    const cond = tensor([true, false, true]);
    expect(gradcheck((a) => where(cond, a, 0), [leaf([2, 3])])).toBe(true);
    expect(gradcheck((b) => where(cond, 1, b), [leaf([3])])).toBe(true);
  });
});
