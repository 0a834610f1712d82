import { Callback, Recorder } from '@mantissa/callbacks';
import { memory } from '@mantissa/tensor';
import { describe, expect, it, vi } from 'vitest';
import { accuracy, Learner } from '../src';
import { Recording, tinyData, tinyModel } from './helpers';

const TRAIN_BATCH = [
  'onBatchBegin',
  'onLossBegin',
  'onBackwardBegin',
  'onBackwardEnd',
  'onStepEnd',
  'onBatchEnd',
];
const VALID_BATCH = ['onBatchBegin', 'onLossBegin', 'onBatchEnd'];
// tinyData: 3 training batches of 8, validation batches of 8 and 2.
const EPOCH = [
  'onEpochBegin',
  ...Array(3).fill(TRAIN_BATCH).flat(),
  ...VALID_BATCH,
  ...VALID_BATCH,
  'onEpochEnd',
];

describe('the Learner fires fastai v1 events in order with the documented state', () => {
  it('fit(2): order, counters, flags, tensors and metrics at every event', async () => {
    const model = tinyModel();
    const rec = new Recording(model);
    const learn = new Learner(tinyData(), model, { metrics: [accuracy], silent: true, callbacks: [rec] });
    await learn.fit(2, 1e-2);
    expect(rec.events()).toEqual(['onTrainBegin', ...EPOCH, ...EPOCH, 'onTrainEnd']);

    const begin = rec.at('onTrainBegin')[0]!;
    expect(begin).toMatchObject({ epoch: 0, iteration: 0, nEpochs: 2, metricsNames: ['accuracy'] });

    const batchEvents = new Set(TRAIN_BATCH);
    const train = rec.log.filter((s) => s.train && batchEvents.has(s.event));
    // Per training batch k of epoch e: iteration and numBatch count batches done before this one.
    for (let b = 0; b < 6; b++) {
      const [bb, lb, bwb, bwe, se, be] = train.slice(b * 6, b * 6 + 6);
      const [e, k] = [Math.floor(b / 3), b % 3];
      for (const s of [bb, lb, bwb, bwe, se, be]) {
        expect(s).toMatchObject({
          epoch: e,
          iteration: 3 * e + k,
          numBatch: k,
          train: true,
          inputShape: [8, 4],
        });
      }
      // lastOutput is set by onLossBegin; the previous batch's was freed with its scope.
      expect([bb!.hasOutput, lb!.hasOutput]).toEqual([false, true]);
      expect(bb!.lastLoss).toBe(null); // the previous batch's loss tensor is freed with its scope
      expect(bwb!.lastLoss).toBeTypeOf('number');
      expect(bwb!.smoothLoss).toBeTypeOf('number');
      // No gradient before backward (zeroGrad cleared it), one after, none again after zeroGrad.
      expect([bwb!.hasGrad, bwe!.hasGrad, se!.hasGrad, be!.hasGrad]).toEqual([false, true, true, false]);
      expect(be!.lastLoss).toBe(bwb!.lastLoss); // onBatchEnd gets the loss onBackwardBegin settled on
    }

    // The smoothed loss is fastai's debiased EMA (beta 0.98) of the raw losses, restarting each fit.
    const raw = rec.at('onBackwardBegin').map((s) => s.lastLoss!);
    let avg = 0;
    raw.forEach((l, i) => {
      avg = 0.98 * avg + 0.02 * l;
      expect(rec.at('onBackwardBegin')[i]!.smoothLoss).toBeCloseTo(avg / (1 - 0.98 ** (i + 1)), 6);
    });

    // Validation batches: train false, counters frozen, no backward.
    const valid = rec.log.filter((s) => !s.train && batchEvents.has(s.event));
    expect(valid.filter((s) => s.event === 'onBatchBegin').map((s) => s.inputShape)).toEqual([
      [8, 4],
      [2, 4],
      [8, 4],
      [2, 4],
    ]);
    for (const s of valid) expect(s.numBatch).toBe(3);

    // onEpochEnd: [valid loss (weighted by batch size), accuracy], epoch still 0-based.
    const ends = rec.at('onEpochEnd');
    expect(ends.map((s) => s.epoch)).toEqual([0, 1]);
    ends.forEach((s, e) => {
      const losses = valid.filter((v) => v.event === 'onBatchEnd').slice(2 * e, 2 * e + 2);
      const f = Math.fround;
      const mean = f(f(f(losses[0]!.lastLoss! * 8) + f(f(losses[1]!.lastLoss!) * 2)) / 10);
      expect(s.lastMetrics[0]).toBe(mean);
      expect(s.lastMetrics[1]).toBeGreaterThanOrEqual(0);
      expect(s.lastMetrics[1]).toBeLessThanOrEqual(1);
    });
    expect(rec.at('onTrainEnd')[0]).toMatchObject({ epoch: 2, iteration: 6, exception: false });
  });

  it('a Recorder comes first (order -10), a new one each fit, and reads the scheduled lr', async () => {
    const model = tinyModel();
    const seen: string[] = [];
    class Probe extends Callback {
      override onBatchBegin(): void {
        seen.push(`probe sees ${learn.recorder!.lrs.length} lrs`);
      }
    }
    const learn = new Learner(tinyData(), model, { silent: true, callbacks: [new Probe()] });
    await learn.fitOneCycle(1, 1e-2);
    const first = learn.recorder!;
    expect(first).toBeInstanceOf(Recorder);
    expect(seen.slice(0, 3)).toEqual(['probe sees 1 lrs', 'probe sees 2 lrs', 'probe sees 3 lrs']);
    expect(first.lrs[0]).toBeCloseTo(1e-2 / 25, 12);
    expect(first.moms[0]).toBe(0.95);
    await learn.fit(1, 1e-3);
    expect(learn.recorder).not.toBe(first);
    expect(learn.recorder!.lrs).toEqual([1e-3, 1e-3, 1e-3]);
  });

  it("prints fastai's table: a header and one row per epoch", async () => {
    const lines: string[] = [];
    const learn = new Learner(tinyData(), tinyModel(), { metrics: [accuracy] });
    // Route the Recorder's table into the test (a callbackFn runs after the Recorder is created).
    learn.callbackFns.push((l) => {
      l.recorder!.writer = (line) => lines.push(line);
      return new (class extends Callback {})();
    });
    await learn.fit(2, 1e-2);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('epoch     train_loss  valid_loss  accuracy  time    ');
    expect(lines[1]).toMatch(/^0 {9}\d\.\d{6} {4}\d\.\d{6} {4}\d\.\d{6} {2}00:00 {5}$/);
    expect(lines[2]).toMatch(/^1 {9}/);
  });

  it('an exception reaches onTrainEnd, is rethrown, and leaves no tensor behind', async () => {
    const model = tinyModel();
    const learn = new Learner(tinyData(), model, { silent: true });
    await learn.fit(1, 1e-2); // the optimizer's state exists from here on
    const before = memory().numTensors;
    const boom = new Error('boom');
    const rec = new Recording(model, {
      onBackwardEnd: (s) => {
        if (s.iteration === 1) throw boom;
        return undefined;
      },
    });
    await expect(learn.fit(1, 1e-2, { callbacks: [rec] })).rejects.toBe(boom);
    expect(rec.events().at(-1)).toBe('onTrainEnd');
    expect(rec.at('onTrainEnd')[0]!.exception).toBe(boom);
    learn.opt!.zeroGrad(); // the failed batch's gradients stay on the parameters, as in PyTorch
    expect(memory().numTensors).toBe(before);
  });
});

describe('the progress bar', () => {
  it('draws on a terminal unless silent or progress: false', async () => {
    const drawn: string[] = [];
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((s) => drawn.push(String(s)) > 0);
    try {
      const run = async (o: { silent?: boolean; progress?: boolean }) => {
        drawn.length = 0;
        const learn = new Learner(tinyData(), tinyModel(), { ...o, callbackFns: [mute] });
        await learn.fit(1, 1e-2);
        return drawn.join('');
      };
      expect(await run({})).toMatch(/train/);
      expect(await run({ progress: false })).toBe('');
      expect(await run({ silent: true })).toBe('');
    } finally {
      write.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
  });
});

/** A callbackFn that routes the Recorder's table away from stdout. */
function mute(learn: Learner): Callback {
  learn.recorder!.writer = () => {};
  return new (class extends Callback {})();
}
