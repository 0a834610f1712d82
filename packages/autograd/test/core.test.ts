import {
  adaptiveAvgPool2d,
  batchNorm,
  conv2d,
  crossEntropy,
  linear,
  manualSeed,
  ones,
  tensor,
  tidy,
  zeros,
} from '@mantissa/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import { AutogradError, backward, gradcheck, noGrad, zeroGrad } from '../src/index';
import { leaf, values } from './helpers';

beforeEach(() => manualSeed(0));

describe('a small CNN end to end', () => {
  it('passes gradcheck through conv2d, batch norm, relu, pooling, linear and cross-entropy', () => {
    const x = leaf([2, 2, 5, 5]);
    const w = leaf([3, 2, 3, 3], 'float64', 0.5);
    const cb = leaf([3]);
    const gamma = leaf([3]);
    const beta = leaf([3]);
    const lw = leaf([4, 3]);
    const lb = leaf([4]);
    const target = tensor([1, 3], { dtype: 'int32' });
    const net = (...p: ReturnType<typeof leaf>[]) => {
      const [x_, w_, cb_, g_, b_, lw_, lb_] = p as [
        typeof x,
        typeof x,
        typeof x,
        typeof x,
        typeof x,
        typeof x,
        typeof x,
      ];
      const h = conv2d(x_, w_, cb_, { padding: 1 });
      const n = batchNorm(h, { weight: g_, bias: b_, training: true }).output;
      const a = adaptiveAvgPool2d(n.relu(), 1).reshape([2, 3]);
      return crossEntropy(linear(a, lw_, lb_), target);
    };
    expect(gradcheck(net, [x, w, cb, gamma, beta, lw, lb])).toBe(true);
  });
});

describe('accumulation and modes', () => {
  it('accumulates across backward calls and clears with zeroGrad', () => {
    const x = tensor([1, 2]).requiresGrad_();
    tidy(() => x.mul(3).sum().backward());
    tidy(() => x.mul(3).sum().backward());
    expect(values(x.grad!)).toEqual([6, 6]);
    zeroGrad([x], { setToNone: false });
    expect(values(x.grad!)).toEqual([0, 0]);
    zeroGrad([x]);
    expect(x.grad).toBeNull();
  });

  it('records nothing inside noGrad and leaves detach() outside the graph', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
  });

  it('backward() with several roots sums their gradients', () => {
    const x = tensor([1, 2]).requiresGrad_();
    backward([x.mul(2).sum(), x.mul(x)], [undefined, ones([2])]);
    expect(values(x.grad!)).toEqual([4, 6]);
  });

  it('throws on a second backward without retainGraph', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  it('keeps the grad dtype of each tensor', () => {
    const x = tensor([1, 2], { dtype: 'float16' }).requiresGrad_();
    const w = tensor([3, 4]).requiresGrad_();
    x.mul(w).sum().backward();
    expect(x.grad!.dtype).toBe('float16');
    expect(w.grad!.dtype).toBe('float32');
    expect(values(x.grad!)).toEqual([3, 4]);
  });

  it('sums broadcast gradients back to the input shape', () => {
    const a = zeros([2, 3]).requiresGrad_();
    const b = zeros([3]).requiresGrad_();
    a.add(b).sum().backward();
    expect(b.grad!.shape).toEqual([3]);
    expect(values(b.grad!)).toEqual([2, 2, 2]);
  });
});
