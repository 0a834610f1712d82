import {
  bmm,
  linear,
  manualSeed,
  matmul,
  max,
  mean,
  min,
  sum,
  type Tensor,
  tensor,
  variance,
} from '@mantissa/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import { gradcheck } from '../src/index';
import { leaf, leafT, spread, values } from './helpers';

beforeEach(() => manualSeed(2));

describe('reductions pass gradcheck on every axis variant', () => {
  const axesCases: [string, number | number[] | undefined][] = [
    ['all', undefined],
    ['axis 0', 0],
    ['axis 1', 1],
    ['axis -1', -1],
    ['axes [0, 2]', [0, 2]],
    ['no axes ([])', []],
  ];
  const ops: [string, (x: Tensor, axes: number | number[] | undefined, keepdim: boolean) => Tensor][] = [
    ['sum', (x, a, k) => sum(x, a, k)],
    ['mean', (x, a, k) => mean(x, a, k)],
    ['max', (x, a, k) => max(x, a, k)],
    ['min', (x, a, k) => min(x, a, k)],
    ['var', (x, a, k) => variance(x, a, { keepdim: k })],
  ];
  for (const [name, op] of ops) {
    for (const [label, axes] of axesCases) {
      if (name === 'var' && label === 'no axes ([])') continue;
      for (const keepdim of [false, true]) {
        it(`${name} over ${label}, keepdim ${keepdim}`, () => {
          expect(gradcheck((x) => op(x, axes, keepdim), [spread([2, 3, 4], -2, 2)])).toBe(true);
        });
      }
    }
    it(`${name} of a non-contiguous input`, () => {
      expect(gradcheck((x) => op(x, 1, false), [leafT([3, 5])])).toBe(true);
    });
  }

  it('var with correction 0 and 2', () => {
    for (const correction of [0, 2]) {
      expect(gradcheck((x) => variance(x, 1, { correction }), [leaf([3, 5])])).toBe(true);
    }
  });

  it('max shares the gradient evenly between tied maxima (as torch.amax)', () => {
    const x = tensor([1, 3, 3, 2]).requiresGrad_();
    x.max().backward();
    expect(values(x.grad!)).toEqual([0, 0.5, 0.5, 0]);
  });
});

describe('views pass gradcheck', () => {
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['reshape', (x) => x.reshape([2, -1, 3]).mul(x.reshape([9, -1]).T.reshape([2, 3, 3]))],
    ['view', (x) => x.view([18]).exp()],
    ['flatten', (x) => x.flatten().exp()],
    [
      'permute',
      (x) =>
        x
          .permute([1, 0])
          .exp()
          .mul(tensor([1, 2, 3], { dtype: 'float64' })),
    ],
    ['transpose / T', (x) => x.T.matmul(x)],
    ['slice with a step', (x) => x.slice(1, 1, 6, 2).exp()],
    ['slice with negative bounds', (x) => x.slice(0, -2).exp()],
    ['narrow', (x) => x.narrow(1, 2, 3).exp()],
    ['expand', (x) => x.slice(0, 0, 1).expand([5, 3, 6]).exp()],
    ['squeeze / unsqueeze', (x) => x.unsqueeze(1).exp().squeeze()],
    ['contiguous of a transpose', (x) => x.T.contiguous().exp()],
    ['clone', (x) => x.clone().mul(x)],
  ];
  for (const [name, fn] of cases) {
    it(name, () => expect(gradcheck(fn, [leaf([3, 6])])).toBe(true));
  }
  it('reshape of a non-contiguous input (a copy, not a view)', () => {
    expect(gradcheck((x) => x.reshape([-1]).exp(), [leafT([3, 4])])).toBe(true);
  });
});

describe('matrix products pass gradcheck', () => {
  it('matmul 2-d, 1-d on either side, dot product', () => {
    expect(gradcheck((a, b) => matmul(a, b), [leaf([3, 4]), leaf([4, 5])])).toBe(true);
    expect(gradcheck((a, b) => matmul(a, b), [leaf([4]), leaf([4, 5])])).toBe(true);
    expect(gradcheck((a, b) => matmul(a, b), [leaf([3, 4]), leaf([4])])).toBe(true);
    expect(gradcheck((a, b) => matmul(a, b), [leaf([4]), leaf([4])])).toBe(true);
  });
  it('matmul with broadcast batch dims and 1-d operands against batches', () => {
    expect(gradcheck((a, b) => matmul(a, b), [leaf([2, 1, 3, 4]), leaf([3, 4, 2])])).toBe(true);
    expect(gradcheck((a, b) => matmul(a, b), [leaf([4]), leaf([2, 4, 3])])).toBe(true);
    expect(gradcheck((a, b) => matmul(a, b), [leaf([2, 3, 4]), leaf([4])])).toBe(true);
  });
  it('matmul of non-contiguous operands', () => {
    expect(gradcheck((a, b) => matmul(a, b), [leafT([3, 4]), leafT([4, 2])])).toBe(true);
  });
  it('bmm', () => {
    expect(gradcheck((a, b) => bmm(a, b), [leaf([2, 3, 4]), leaf([2, 4, 5])])).toBe(true);
  });
  it('linear with and without bias, 1-d, 2-d and 3-d inputs', () => {
    expect(gradcheck((x, w, b) => linear(x, w, b), [leaf([5, 3]), leaf([4, 3]), leaf([4])])).toBe(true);
    expect(gradcheck((x, w) => linear(x, w), [leaf([2, 5, 3]), leafT([4, 3])])).toBe(true);
    expect(gradcheck((x, w, b) => linear(x, w, b), [leaf([3]), leaf([4, 3]), leaf([4])])).toBe(true);
  });
});
