import { rand, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, type Conv2d, convLayer, NnError, ReLU, type Sequential, simpleCnn } from '../src/index';
import { loadFixture, thrown } from './helpers';

const std = (v: Float32Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);

describe('simpleCnn', () => {
  it('simpleCnn([3, 16, 16, 2]) is fastai v1’s model: 3,058 parameters under PyTorch’s keys', () => {
    const m = simpleCnn([3, 16, 16, 2]);
    const golden = loadFixture<{ keys: string[]; numParams: number }>('golden');
    expect(Object.keys(m.stateDict())).toEqual(golden.keys);
    expect(golden.keys).toEqual([
      '0.0.weight',
      '0.0.bias',
      '1.0.weight',
      '1.0.bias',
      '2.0.weight',
      '2.0.bias',
    ]);
    expect(m.parameters().reduce((n, p) => n + p.numel, 0)).toBe(3058);
    expect(golden.numParams).toBe(3058);
    expect(m.toString()).toBe(
      [
        'Sequential(',
        '  (0): Sequential(',
        '    (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))',
        '    (1): ReLU()',
        '  )',
        '  (1): Sequential(',
        '    (0): Conv2d(16, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))',
        '    (1): ReLU()',
        '  )',
        '  (2): Sequential(',
        '    (0): Conv2d(16, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))',
        '    (1): ReLU()',
        '  )',
        '  (3): Sequential(',
        '    (0): AdaptiveAvgPool2d(output_size=1)',
        '    (1): Flatten(start_dim=1, end_dim=-1)',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  it('initialises conv weights Kaiming normal (std √(2 / fan_in)) and biases to zero', () => {
    const m = simpleCnn([3, 64, 64, 2]);
    const conv1 = m.getParameter('0.0.weight').data() as Float32Array;
    const conv2 = m.getParameter('1.0.weight').data() as Float32Array;
    expect(std(conv1) / Math.sqrt(2 / 27)).toBeCloseTo(1, 1);
    expect(std(conv2) / Math.sqrt(2 / 576)).toBeCloseTo(1, 1);
    for (const k of ['0.0.bias', '1.0.bias', '2.0.bias']) {
      expect(Array.from(m.getParameter(k).data() as Float32Array).every((v) => v === 0)).toBe(true);
    }
  });

  it('maps (N, 3, 28, 28) to (N, 2) non-negative outputs (the last conv has a ReLU too)', () => {
    const m = simpleCnn([3, 16, 16, 2]);
    const y = tidy(() => m.forward(rand([5, 3, 28, 28])));
    expect(y.shape).toEqual([5, 2]);
    expect(Array.from(y.data() as Float32Array).every((v) => v >= 0)).toBe(true);
  });

  it('with bn, puts BatchNorm2d after the ReLU of every conv but the last, and drops those convs’ bias', () => {
    const m = simpleCnn([3, 8, 8, 2], [5, 3, 3], [1, 2, 2], true);
    expect(Object.keys(m.stateDict())).toEqual([
      '0.0.weight',
      '0.2.weight',
      '0.2.bias',
      '0.2.running_mean',
      '0.2.running_var',
      '0.2.num_batches_tracked',
      '1.0.weight',
      '1.2.weight',
      '1.2.bias',
      '1.2.running_mean',
      '1.2.running_var',
      '1.2.num_batches_tracked',
      '2.0.weight',
      '2.0.bias',
    ]);
    const first = m.at(0) as Sequential;
    expect(first.at(1)).toBeInstanceOf(ReLU);
    expect(first.at(2)).toBeInstanceOf(BatchNorm2d);
    const conv = first.at(0) as Conv2d;
    expect([conv.kernelSize, conv.stride, conv.padding]).toEqual([
      [5, 5],
      [1, 1],
      [2, 2],
    ]);
    expect(tidy(() => m.forward(rand([2, 3, 16, 16])).shape)).toEqual([2, 2]);
  });

  it('convLayer defaults to fastai’s: batch norm, no bias, padding (ks - 1) / 2', () => {
    const layer = convLayer(4, 6, 3, 1);
    expect(layer.length).toBe(3);
    expect((layer.at(0) as Conv2d).bias).toBe(null);
    expect((layer.at(0) as Conv2d).padding).toEqual([1, 1]);
  });

  it('refuses bad arguments', () => {
    for (const [args, re] of [
      [[[3]], /actns to be at least 2 positive integers, got \[3\]/],
      [[[3, 0, 2]], /actns.*got \[3, 0, 2\]/],
      [[[3, 4, 2], [3]], /kernelSizes to be 2 positive integers, got \[3\]/],
      [[[3, 4, 2], null, [2, 2, 2]], /strides to be 2 positive integers/],
      [[[3, 4, 2], null, null, 'yes'], /bn to be a boolean/],
    ] as const) {
      const e = thrown(() => (simpleCnn as (...a: unknown[]) => unknown)(...args));
      expect(e).toBeInstanceOf(NnError);
      expect(e.message).toMatch(re);
    }
  });
});
