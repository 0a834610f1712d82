import { Callback } from '@mantissa/callbacks';
import { memory, tidy } from '@mantissa/tensor';
import { expect, it } from 'vitest';
import { accuracy, Learner } from '../src';
import { points, tinyData, tinyModel } from './helpers';

class Memory extends Callback {
  tensors: number[] = [];
  bytes: number[] = [];
  override onEpochBegin(): void {
    this.tensors.push(memory().numTensors);
    this.bytes.push(memory().numBytes);
  }
}

it('memory is flat over a run: every batch is freed with its scope', async () => {
  const learn = new Learner(tinyData({ shuffle: true, seed: 3 }), tinyModel(), {
    metrics: [accuracy],
    silent: true,
  });
  const probe = new Memory();
  await learn.fitOneCycle(6, 1e-2, { callbacks: [probe] });
  // Epoch 0 begins before the optimizer's moment buffers exist; from then on nothing grows.
  expect(new Set(probe.tensors.slice(1)).size).toBe(1);
  expect(new Set(probe.bytes.slice(1)).size).toBe(1);
  const after = memory().numTensors;
  expect(after).toBe(probe.tensors[1]);
  await learn.fit(3, 1e-3);
  learn.validate();
  learn.getPreds().forEach((t) => {
    t.dispose();
  });
  tidy(() => learn.predict(points(1, 5)[0].reshape([4])));
  expect(memory().numTensors).toBe(after);
});
