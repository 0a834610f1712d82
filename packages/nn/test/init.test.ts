import { type Tensor, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Conv2d, init, Linear, NnError, Parameter } from '../src/index';
import { thrown } from './helpers';

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(t.float().data() as Float32Array);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

describe('init', () => {
  it('calculateGain as PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)));
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3));
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(thrown(() => init.calculateGain('gelu' as never))).toBeInstanceOf(NnError);
  });

  it('kaimingNormal_ draws N(0, 2 / fan_in) by default and fan_out on request', () => {
    // fan_in = 64 * 3 * 3 = 576, fan_out = 128 * 9 = 1152
    const w = zeros([128, 64, 3, 3]);
    expect(init.kaimingNormal_(w)).toBe(w);
    const s = stats(w);
    // 73,728 draws: the sample mean is within 5 standard errors of 0.
    expect(Math.abs(s.mean)).toBeLessThan((5 * Math.sqrt(2 / 576)) / Math.sqrt(w.numel));
    expect(s.std / Math.sqrt(2 / 576)).toBeCloseTo(1, 1);
    init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' });
    expect(stats(w).std / Math.sqrt(2 / 1152)).toBeCloseTo(1, 1);
  });

  it('kaimingUniform_ draws U(±gain √(3 / fan))', () => {
    const w = zeros([200, 300]);
    init.kaimingUniform_(w, { a: Math.sqrt(5) });
    const s = stats(w);
    const bound = 1 / Math.sqrt(300);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeGreaterThan(bound * 0.99);
    expect(s.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
  });

  it('uniform_, normal_, zeros_, ones_ and constant_ write parameters that require grad, in their dtype', () => {
    const p = new Parameter(zeros([1000]).half());
    init.uniform_(p, 2, 3);
    const u = stats(p);
    expect(p.dtype).toBe('float16');
    expect(u.min).toBeGreaterThanOrEqual(2);
    expect(u.max).toBeLessThanOrEqual(3);
    init.normal_(p, 5, 0.5);
    expect(stats(p).mean).toBeCloseTo(5, 1);
    init.ones_(p);
    expect(stats(p)).toEqual({ mean: 1, std: 0, min: 1, max: 1 });
    init.zeros_(p);
    expect(stats(p).max).toBe(0);
    init.constant_(p, 0.1);
    expect(stats(p).max).toBe(0.0999755859375);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(p.gradFn).toBe(null);
  });

  it('refuses what it cannot initialise', () => {
    expect(thrown(() => init.kaimingNormal_(zeros([5]))).message).toBe(
      'init.kaimingNormal_: expected a tensor of at least 2 dims to compute fans, got shape [5]',
    );
    expect(thrown(() => init.kaimingUniform_(zeros([3, 3]), { mode: 'fan_in' as never })).message).toMatch(
      /expected mode 'fanIn' or 'fanOut'/,
    );
    expect(thrown(() => init.uniform_(zeros([2]), 1, 0)).message).toMatch(/a <= b/);
    expect(thrown(() => init.normal_(zeros([2]), 0, -1)).message).toMatch(/std >= 0/);
    expect(thrown(() => init.zeros_(zeros([2], { dtype: 'int32' }))).message).toMatch(
      /expected a float tensor, got int32/,
    );
  });

  it('Linear and Conv2d default to U(±1/√fan_in) weights and biases', () => {
    const lin = new Linear(400, 300);
    const wb = 1 / Math.sqrt(400);
    for (const t of [lin.weight, lin.bias!]) {
      const s = stats(t);
      expect(s.max).toBeLessThanOrEqual(wb);
      expect(s.min).toBeGreaterThanOrEqual(-wb);
    }
    expect(stats(lin.weight).std / (wb / Math.sqrt(3))).toBeCloseTo(1, 1);
    const conv = new Conv2d(32, 64, 3, { groups: 2 });
    const cb = 1 / Math.sqrt(16 * 9);
    expect(conv.weight.shape).toEqual([64, 16, 3, 3]);
    expect(stats(conv.weight).std / (cb / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(stats(conv.bias!).max).toBeLessThanOrEqual(cb);
  });
});
