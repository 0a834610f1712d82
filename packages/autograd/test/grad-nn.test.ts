import {
  adaptiveAvgPool2d,
  avgPool2d,
  batchNorm,
  conv2d,
  crossEntropy,
  dropout,
  logSoftmax,
  manualSeed,
  maxPool2d,
  ones,
  type Tensor,
  tensor,
  zeros,
} from '@mantissa/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import { gradcheck } from '../src/index';
import { leaf, leafT, spread, values } from './helpers';

beforeEach(() => manualSeed(3));

describe('conv2d passes gradcheck', () => {
  const cases: [string, number[], number[], Parameters<typeof conv2d>[3]][] = [
    ['plain 3x3', [2, 3, 5, 6], [4, 3, 3, 3], {}],
    ['stride 2, padding 1', [1, 2, 7, 6], [3, 2, 3, 3], { stride: 2, padding: 1 }],
    ['dilation 2, rectangular kernel', [1, 2, 7, 7], [2, 2, 2, 3], { dilation: 2 }],
    [
      'groups 2, asymmetric stride and padding',
      [2, 4, 5, 5],
      [6, 2, 3, 1],
      { groups: 2, stride: [2, 1], padding: [0, 1] },
    ],
    ['depthwise', [1, 3, 4, 4], [3, 1, 3, 3], { groups: 3, padding: 1 }],
  ];
  for (const [name, xs, ws, options] of cases) {
    it(`${name}, with bias`, () => {
      expect(gradcheck((x, w, b) => conv2d(x, w, b, options), [leaf(xs), leaf(ws), leaf([ws[0]!])])).toBe(
        true,
      );
    });
  }
  it('without bias, non-contiguous input', () => {
    const x = leaf([2, 5, 5, 3]).detach().permute([0, 3, 1, 2]).requiresGrad_();
    expect(gradcheck((x_, w) => conv2d(x_, w, null, { padding: 1 }), [x, leaf([2, 3, 3, 3])])).toBe(true);
  });
});

describe('pooling passes gradcheck', () => {
  it('maxPool2d: kernel, stride, padding, dilation, ceilMode', () => {
    const x = spread([2, 2, 6, 7], -3, 3);
    expect(gradcheck((t) => maxPool2d(t, 2).output, [x])).toBe(true);
    expect(gradcheck((t) => maxPool2d(t, 3, { stride: 2, padding: 1 }).output, [x])).toBe(true);
    expect(gradcheck((t) => maxPool2d(t, [2, 3], { dilation: 2, ceilMode: true }).output, [x])).toBe(true);
  });
  it('avgPool2d: with and without counting the padding, ceilMode', () => {
    const x = leaf([2, 2, 6, 7]);
    expect(gradcheck((t) => avgPool2d(t, 2), [x])).toBe(true);
    expect(gradcheck((t) => avgPool2d(t, 3, { stride: 2, padding: 1 }), [x])).toBe(true);
    expect(gradcheck((t) => avgPool2d(t, 3, { stride: 2, padding: 1, countIncludePad: false }), [x])).toBe(
      true,
    );
    expect(gradcheck((t) => avgPool2d(t, [2, 3], { ceilMode: true }), [x])).toBe(true);
  });
  it('adaptiveAvgPool2d to smaller, uneven and global sizes', () => {
    const x = leaf([2, 3, 5, 7]);
    for (const size of [1, 2, 3, [4, 3] as const, [null, 2] as const]) {
      expect(gradcheck((t) => adaptiveAvgPool2d(t, size), [x])).toBe(true);
    }
  });
});

describe('batchNorm passes gradcheck', () => {
  it('training mode, with weight and bias, 2-d, 3-d and 4-d inputs', () => {
    for (const shape of [
      [6, 3],
      [4, 3, 5],
      [2, 3, 4, 3],
    ]) {
      expect(
        gradcheck(
          (x, w, b) => batchNorm(x, { weight: w, bias: b, training: true }).output,
          [leaf(shape), leaf([3]), leaf([3])],
        ),
      ).toBe(true);
    }
  });
  it('training mode with running statistics, and without affine parameters', () => {
    const rm = zeros([3], { dtype: 'float64' });
    const rv = ones([3], { dtype: 'float64' });
    expect(
      gradcheck(
        (x, w) => batchNorm(x, { weight: w, runningMean: rm, runningVar: rv, training: true }).output,
        [leaf([4, 3, 2, 2]), leaf([3])],
      ),
    ).toBe(true);
    expect(gradcheck((x) => batchNorm(x, { training: true }).output, [leafT([5, 3])])).toBe(true);
  });
  it('eval mode uses the running statistics as constants', () => {
    const rm = tensor([0.1, -0.2, 0.3], { dtype: 'float64' });
    const rv = tensor([1.5, 0.5, 2], { dtype: 'float64' });
    expect(
      gradcheck(
        (x, w, b) => batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv }).output,
        [leaf([4, 3, 2]), leaf([3]), leaf([3])],
      ),
    ).toBe(true);
  });
});

describe('logSoftmax and crossEntropy pass gradcheck', () => {
  it('logSoftmax along each dim', () => {
    for (const dim of [0, 1, -1]) expect(gradcheck((x) => logSoftmax(x, dim), [leaf([3, 5])])).toBe(true);
    expect(gradcheck((x) => logSoftmax(x, 1), [leafT([4, 3])])).toBe(true);
  });
  const target = tensor([2, 0, 4, 1], { dtype: 'int32' });
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`crossEntropy, reduction ${reduction}`, () => {
      expect(gradcheck((x) => crossEntropy(x, target, { reduction }), [leaf([4, 5])])).toBe(true);
    });
    it(`crossEntropy, reduction ${reduction}, with ignored rows`, () => {
      const t = tensor([2, -100, 4, 3], { dtype: 'int32' });
      const t7 = tensor([7, 1, 7, 0], { dtype: 'int32' });
      expect(gradcheck((x) => crossEntropy(x, t, { reduction }), [leaf([4, 5])])).toBe(true);
      expect(gradcheck((x) => crossEntropy(x, t7, { reduction, ignoreIndex: 7 }), [leafT([4, 5])])).toBe(
        true,
      );
    });
  }
});

describe('dropout and cast', () => {
  it('dropout with a fixed seed passes gradcheck (training), and is the identity in eval', () => {
    const fn = (x: Tensor) => {
      manualSeed(42);
      return dropout(x, 0.4).output;
    };
    expect(gradcheck(fn, [leaf([4, 6])])).toBe(true);
    expect(gradcheck((x) => dropout(x, 0.4, false).output.mul(x), [leaf([3])])).toBe(true);
  });
  it('dropout drops the gradient where it dropped the value, and scales the rest', () => {
    const x = ones([64]).requiresGrad_();
    const { output } = dropout(x, 0.5);
    output.sum().backward();
    expect(values(x.grad!)).toEqual(values(output));
  });
  it('cast: the gradient is cast back to the input dtype (float32 round trip, looser tolerance)', () => {
    expect(
      gradcheck((x) => x.to('float32').exp().to('float64'), [leaf([5])], {
        eps: 1e-3,
        atol: 1e-3,
        rtol: 1e-2,
      }),
    ).toBe(true);
    const x = ones([2], { dtype: 'float16' }).requiresGrad_();
    x.float().mul(3).sum().backward();
    expect(x.grad!.dtype).toBe('float16');
    expect(values(x.grad!)).toEqual([3, 3]);
  });
});
