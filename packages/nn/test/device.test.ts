// Modules on 'cuda' (a real GPU, or the host emulation without one: placement, not GPU numbers).

import { backward } from '@mantissa/autograd';
import { backendInfo, logSoftmax, manualSeed, randn, type Tensor, tensor, zeros } from '@mantissa/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import { testDevice } from '../../../test-utils/emulate-cuda';
import {
  BatchNorm2d,
  bceWithLogits,
  crossEntropy,
  Dropout,
  init,
  mseLoss,
  nllLoss,
  parseSafetensors,
  Sequential,
  serializeSafetensors,
  simpleCnn,
} from '../src/index';

const cuda = testDevice(backendInfo());
beforeEach(() => manualSeed(5));

const devicesOf = (ts: readonly Tensor[]) => new Set(ts.map((t) => t.device));

describe.skipIf(cuda === null)('nn on cuda', () => {
  it('Module.to moves parameters, buffers (int32 num_batches_tracked too) and gradients', () => {
    const model = simpleCnn([3, 8, 8, 2], null, null, true);
    for (const p of model.parameters()) p.grad = zeros(p.shape);
    model.to('cuda');
    expect(devicesOf(model.parameters())).toEqual(new Set(['cuda']));
    expect(devicesOf(model.buffers())).toEqual(new Set(['cuda']));
    expect(devicesOf(model.parameters().map((p) => p.grad!))).toEqual(new Set(['cuda']));
  });

  it('a training step on cuda: batch-norm running statistics update there, gradients land there', () => {
    const model = simpleCnn([3, 8, 8, 2], null, null, true).to('cuda');
    const before = model.buffers().map((b) => Array.from(b.data(), Number));
    const x = randn([4, 3, 16, 16], { device: 'cuda' });
    const y = tensor([0, 1, 1, 0], { dtype: 'int32', device: 'cuda' });
    const loss = crossEntropy(model.forward(x), y);
    expect(loss.device).toBe('cuda');
    backward(loss);
    expect(devicesOf(model.parameters().map((p) => p.grad!))).toEqual(new Set(['cuda']));
    expect(devicesOf(model.buffers())).toEqual(new Set(['cuda']));
    expect(model.buffers().map((b) => Array.from(b.data(), Number))).not.toEqual(before);
  });

  it('eval mode, dropout and batch norm in fp16 with fp32 statistics, on cuda', () => {
    const bn = new BatchNorm2d(3).to('cuda');
    const drop = new Dropout(0.5);
    const net = new Sequential(bn, drop).to('cuda');
    const x = randn([2, 3, 4, 4], { device: 'cuda' });
    expect(net.forward(x).device).toBe('cuda');
    net.eval();
    expect(net.forward(x.half()).device).toBe('cuda');
  });

  it('every loss runs on cuda and matches the cpu', () => {
    const logits = randn([5, 3]);
    const target = tensor([0, 2, 1, 2, 0], { dtype: 'int32' });
    const probs = randn([5, 3]);
    const on = (t: Tensor) => t.to('cuda');
    const pairs: [Tensor, Tensor][] = [
      [crossEntropy(logits, target), crossEntropy(on(logits), on(target))],
      [
        crossEntropy(logits, target, { ignoreIndex: 2 }),
        crossEntropy(on(logits), on(target), { ignoreIndex: 2 }),
      ],
      [nllLoss(logSoftmax(logits, 1), target), nllLoss(logSoftmax(on(logits), 1), on(target))],
      [mseLoss(logits, probs), mseLoss(on(logits), on(probs))],
      [bceWithLogits(logits, probs.sigmoid()), bceWithLogits(on(logits), on(probs).sigmoid())],
    ];
    for (const [host, dev] of pairs) {
      expect(dev.device).toBe('cuda');
      if (backendInfo().cuda.emulated) expect(dev.item()).toBe(host.item());
      else expect(dev.item()).toBeCloseTo(host.item() as number, 5);
    }
  });

  it('init functions fill cuda tensors in place', () => {
    const t = zeros([8, 4], { device: 'cuda' });
    init.kaimingUniform_(t);
    init.normal_(t, 0, 2);
    init.constant_(t, 0.25);
    expect(t.device).toBe('cuda');
    expect(new Set(Array.from(t.data()))).toEqual(new Set([0.25]));
  });

  it('state dicts: saved from cuda (read to the host), loaded into a cuda model (placed on cuda)', () => {
    const a = simpleCnn([3, 8, 2], null, null, true).to('cuda');
    const bytes = serializeSafetensors(a.stateDict());
    manualSeed(99);
    const b = simpleCnn([3, 8, 2], null, null, true).to('cuda');
    b.loadStateDict(parseSafetensors(bytes));
    expect(devicesOf([...b.parameters(), ...b.buffers()])).toEqual(new Set(['cuda']));
    const values = (m: typeof a) => m.parameters().map((p) => Array.from(p.data()));
    expect(values(b)).toEqual(values(a));
  });
});
