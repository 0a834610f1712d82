import { manualSeed, ones, rand, randn, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d, Dropout } from '../src/index';

const arr = (t: { data(): ArrayLike<number> }) => Array.from(t.data());

describe('BatchNorm train/eval', () => {
  it('starts with weight 1, bias 0, running_mean 0, running_var 1 and an int32 count of 0', () => {
    const bn = new BatchNorm2d(3);
    expect(arr(bn.weight!)).toEqual([1, 1, 1]);
    expect(arr(bn.bias!)).toEqual([0, 0, 0]);
    expect(arr(bn.runningMean!)).toEqual([0, 0, 0]);
    expect(arr(bn.runningVar!)).toEqual([1, 1, 1]);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.numBatchesTracked!.item()).toBe(0);
  });

  it('normalises with batch statistics when training and updates the running ones', () => {
    const bn = new BatchNorm1d(1);
    // mean 2, biased variance 2/3 → unbiased variance 1 for the running update.
    const y = tidy(() => bn.forward(tensor([[1], [2], [3]])));
    const s = Math.sqrt(2 / 3 + 1e-5);
    arr(y).forEach((v, i) => {
      expect(v).toBeCloseTo((i - 1) / s, 5);
    });
    expect(arr(bn.runningMean!)[0]).toBeCloseTo(0.2, 6);
    expect(arr(bn.runningVar!)[0]).toBeCloseTo(0.9 + 0.1 * 1, 6);
    expect(bn.numBatchesTracked!.item()).toBe(1);
  });

  it('uses the running statistics in eval mode and leaves them alone', () => {
    const bn = new BatchNorm1d(1);
    bn.runningMean!.fill_(1);
    bn.runningVar!.fill_(4);
    bn.eval();
    const y = tidy(() => bn.forward(tensor([[1], [3], [5]])));
    arr(y).forEach((v, i) => {
      expect(v).toBeCloseTo((2 * i) / Math.sqrt(4 + 1e-5), 5);
    });
    expect(arr(bn.runningMean!)).toEqual([1]);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    // A single sample is fine in eval mode (no batch statistics needed).
    expect(tidy(() => bn.forward(tensor([[3]])).shape)).toEqual([1, 1]);
  });

  it('with momentum null, the running statistics are the cumulative average', () => {
    const bn = new BatchNorm1d(1, { momentum: null });
    tidy(() => {
      bn.forward(tensor([[0], [2]]));
      bn.forward(tensor([[4], [6]]));
      bn.forward(tensor([[8], [10]]));
    });
    expect(arr(bn.runningMean!)[0]).toBeCloseTo((1 + 5 + 9) / 3, 5);
    expect(arr(bn.runningVar!)[0]).toBeCloseTo(2, 5);
    expect(bn.numBatchesTracked!.item()).toBe(3);
  });

  it('computes a half input in float32 with float32 parameters and returns half', () => {
    const bn = new BatchNorm2d(2);
    const y = tidy(() => bn.forward(randn([4, 2, 3, 3]).half()));
    expect(y.dtype).toBe('float16');
    expect(bn.weight!.dtype).toBe('float32');
    expect(bn.runningMean!.dtype).toBe('float32');
  });
});

describe('Dropout train/eval', () => {
  it('drops about p of the elements when training and scales the rest by 1 / (1 - p)', () => {
    const d = new Dropout(0.25);
    const x = ones([100, 100]).mul(3);
    manualSeed(7);
    const y = arr(d.forward(x));
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.23);
    expect(zeros / y.length).toBeLessThan(0.27);
    expect(y.every((v) => v === 0 || v === 4)).toBe(true);
    manualSeed(7);
    expect(arr(d.forward(x))).toEqual(y);
  });

  it('passes the gradient through the kept elements only, scaled by 1 / (1 - p)', () => {
    const d = new Dropout(0.5);
    const x = rand([20, 20]).add(1).requiresGrad_();
    tidy(() => {
      const y = d.forward(x);
      y.sum().backward();
      const kept = arr(y).map((v) => (v === 0 ? 0 : 2));
      expect(arr(x.grad!)).toEqual(kept);
      expect(kept.filter((v) => v === 0).length).toBeGreaterThan(100);
    });
  });

  it('is the identity in eval mode', () => {
    const d = new Dropout(0.9).eval();
    const x = rand([5, 5]);
    expect(arr(d.forward(x))).toEqual(arr(x));
  });
});
