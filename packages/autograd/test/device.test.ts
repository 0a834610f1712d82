// Gradients across devices, on 'cuda' (a real GPU, or the host emulation without one: placement only).

import { backendInfo, manualSeed, randn, type Tensor, tensor, zeros } from '@mantissa/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import { testDevice } from '../../../test-utils/emulate-cuda';
import { gradcheck } from '../src/index';
import { values } from './helpers';

const cuda = testDevice(backendInfo());
beforeEach(() => manualSeed(3));

describe.skipIf(cuda === null)('autograd on cuda', () => {
  it("to('cuda'): the gradient goes back to the cpu leaf", () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' }).requiresGrad_();
    const y = x.to('cuda').mul(2).sum();
    expect(y.device).toBe('cuda');
    y.backward();
    expect(x.grad!.device).toBe('cpu');
    expect(values(x.grad!)).toEqual([2, 2, 2]);
  });

  it('to across device and dtype: the gradient returns in the leaf device and dtype', () => {
    const x = tensor([0.5, -1.5], { device: 'cuda' }).requiresGrad_();
    const y = x.to({ dtype: 'float16', device: 'cpu' }).mul(3).sum();
    y.backward();
    expect(x.grad!.device).toBe('cuda');
    expect(x.grad!.dtype).toBe('float32');
    expect(values(x.grad!)).toEqual([3, 3]);
  });

  it('a graph wholly on cuda keeps every gradient there', () => {
    const w = randn([3, 4], { dtype: 'float64', device: 'cuda' }).requiresGrad_();
    const b = zeros([4], { dtype: 'float64', device: 'cuda' }).requiresGrad_();
    const x = randn([2, 3], { dtype: 'float64', device: 'cuda' });
    x.matmul(w).add(b).relu().sum().backward();
    expect([w.grad!.device, b.grad!.device]).toEqual(['cuda', 'cuda']);
  });

  it('copy_ from the cpu: the gradient of the source stays on the cpu', () => {
    const src = tensor([1, 2], { dtype: 'float64' }).requiresGrad_();
    const dst = zeros([2], { dtype: 'float64', device: 'cuda' });
    dst.copy_(src);
    dst.mul(5).sum().backward();
    expect(src.grad!.device).toBe('cpu');
    expect(values(src.grad!)).toEqual([5, 5]);
  });

  it('gradcheck passes on cuda and across devices', () => {
    const onCuda = (shape: number[]): Tensor =>
      randn(shape, { dtype: 'float64', device: 'cuda' }).requiresGrad_();
    expect(gradcheck((a, b) => a.mul(b).tanh(), [onCuda([2, 3]), onCuda([3])])).toBe(true);
    const host = randn([2, 3], { dtype: 'float64' }).requiresGrad_();
    expect(gradcheck((a) => a.to('cuda').exp().to('cpu').mul(a), [host])).toBe(true);
  });
});
