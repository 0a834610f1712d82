import { memory, rand, tidy, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Linear, NnError, Parameter, ReLU, Sequential, simpleCnn } from '../src/index';
import { thrown } from './helpers';

describe('Module.to', () => {
  it("to('float16') converts every float parameter and buffer, keeping requiresGrad and integer buffers", () => {
    const m = new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4), new ReLU());
    const conv = m.at(0) as Conv2d;
    conv.bias!.requiresGrad = false;
    const w32 = Array.from(conv.weight.data() as Float32Array);
    expect(m.to('float16')).toBe(m);
    for (const [k, p] of m.namedParameters()) expect(p.dtype, k).toBe('float16');
    expect(conv.weight).toBeInstanceOf(Parameter);
    expect(conv.weight.requiresGrad).toBe(true);
    expect(conv.bias!.requiresGrad).toBe(false);
    const bn = m.at(1) as BatchNorm2d;
    expect(bn.runningMean!.dtype).toBe('float16');
    expect(bn.runningVar!.dtype).toBe('float16');
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    // Values rounded once to half.
    const w16 = Array.from(conv.weight.float().data() as Float32Array);
    w32.forEach((v, i) => {
      expect(Math.abs(w16[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
    });
    // The state dict follows, under the same keys.
    expect(Object.values(m.stateDict()).map((t) => t.dtype)).toEqual([
      'float16',
      'float16',
      'float16',
      'float16',
      'float16',
      'float16',
      'int32',
    ]);
    const y = tidy(() => m.forward(rand([2, 3, 5, 5]).half()));
    expect(y.dtype).toBe('float16');
    expect(y.shape).toEqual([2, 4, 3, 3]);
    m.float();
    expect(conv.weight.dtype).toBe('float32');
    expect(Array.from(conv.weight.data() as Float32Array)).toEqual(w16);
  });

  it('disposes the replaced tensors, converts gradients, and converts a shared parameter once', () => {
    const lin = new Linear(2, 2);
    const seq = new Sequential(lin, lin);
    const old = lin.weight;
    lin.weight.grad = zeros([2, 2]).fill_(0.5);
    const before = memory().numTensors;
    seq.to('float16');
    expect(memory().numTensors).toBe(before);
    expect(old.isDisposed).toBe(true);
    expect(lin.weight.grad!.dtype).toBe('float16');
    expect(Array.from(lin.weight.grad!.float().data() as Float32Array)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(seq.parameters()).toHaveLength(2);
  });

  it('is a no-op when nothing changes', () => {
    const m = simpleCnn([3, 4, 2]);
    const params = m.parameters();
    m.to('float32');
    m.to('cpu');
    m.to({ dtype: 'float32', device: 'cpu' });
    expect(m.parameters()).toEqual(params);
  });

  it('refuses non-float dtypes and unknown targets', () => {
    const m = new Linear(1, 1);
    for (const target of ['int32', 'bool', 'tpu', 3, null, { dtype: 'int32' }]) {
      const e = thrown(() => m.to(target as never));
      expect(e).toBeInstanceOf(NnError);
      expect(e.message).toMatch(
        /^Module\.to: expected a float dtype, a device or \{ dtype\?, device\? \}, got/,
      );
    }
  });
});
