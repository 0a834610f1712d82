import { noGrad } from '@mantissa/autograd';
import { StateKeyError } from '@mantissa/callbacks';
import { type Tensor, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { accuracy, Learner } from '../src';
import { Recording, tinyData, tinyModel, weights } from './helpers';

function setup(on: ConstructorParameters<typeof Recording>[1], order = 0) {
  const model = tinyModel();
  const rec = new Recording(model, on, order);
  const learn = new Learner(tinyData(), model, { metrics: [accuracy], silent: true, callbacks: [rec] });
  return { model, rec, learn };
}

describe("a callback's returned state replaces the loop's value", () => {
  it('onBatchBegin replaces the input and the target the model and loss see', async () => {
    let replaced: Tensor | null = null;
    const { model, learn } = setup({
      onBatchBegin: (s) => {
        if (!s.train) return undefined;
        replaced = zeros(s.lastInput!.shape);
        return { lastInput: replaced, lastTarget: zeros([8], { dtype: 'int32' }) };
      },
    });
    const seen = new Recording(model, {
      onLossBegin: (s) => {
        if (s.train) {
          expect(s.lastInput).toBe(replaced);
          // The output is the model applied to the zero input: every row is the same.
          const rows = s.lastOutput!.toArray() as number[][];
          for (const r of rows) expect(r).toEqual(rows[0]);
          expect(s.lastTarget!.toArray()).toEqual(new Array(8).fill(0));
        }
        return undefined;
      },
    });
    learn.callbacks.push(seen);
    await learn.fit(1, 1e-2);
    expect(seen.at('onLossBegin')).toHaveLength(5);
  });

  it('onLossBegin replaces the output the loss is computed from', async () => {
    const { rec, learn } = setup({ onLossBegin: (s) => ({ lastOutput: s.lastOutput!.mul(0) }) });
    await learn.fit(1, 1e-2);
    // Zero logits over 2 classes: the cross-entropy is ln 2 for every batch, train and valid.
    for (const s of rec.at('onBackwardBegin')) expect(s.lastLoss).toBeCloseTo(Math.LN2, 6);
    expect(rec.at('onEpochEnd')[0]!.lastMetrics[0]).toBeCloseTo(Math.LN2, 6);
  });

  it('onBackwardBegin replaces the loss that is backpropagated (the smoother saw the original)', async () => {
    const model = tinyModel();
    const grads: number[][] = [];
    const rec = new Recording(model, {
      onBackwardBegin: (s) => ({ lastLoss: s.lastLoss!.mul(0) }),
      onBackwardEnd: () => {
        grads.push(...model.parameters().map((p) => Array.from(p.grad!.data())));
        return undefined;
      },
    });
    const learn = new Learner(tinyData(), model, { silent: true, callbacks: [rec], wd: 0 });
    const w0 = weights(model);
    await learn.fit(1, 1e-2);
    for (const g of grads) expect(g.every((v) => v === 0)).toBe(true);
    // Adam with zero gradients and no weight decay moves nothing.
    expect(weights(model)).toEqual(w0);
    expect(rec.at('onBackwardBegin')[0]!.smoothLoss).toBeGreaterThan(0.1);
    expect(rec.at('onBatchEnd').filter((s) => s.train)[0]!.lastLoss).toBe(0);
  });

  it('a key that is not in the state throws, naming it', async () => {
    const { learn } = setup({ onBatchBegin: () => ({ lastInputs: 1 }) as never });
    await expect(learn.fit(1)).rejects.toThrow(StateKeyError);
    await expect(learn.fit(1)).rejects.toThrow(/lastInputs/);
  });
});

describe('control flags', () => {
  it('skipBwd: no backward, so no gradient and no step', async () => {
    const { model, rec, learn } = setup({ onBackwardBegin: () => ({ skipBwd: true }) });
    const w0 = weights(model);
    await learn.fit(1, 1e-2);
    expect(rec.at('onBackwardEnd').every((s) => !s.hasGrad)).toBe(true);
    expect(weights(model)).toEqual(w0);
  });

  it('skipStep: no step, onStepSkipped fires instead, then onStepEnd and zeroGrad as usual', async () => {
    const { model, rec, learn } = setup({ onBackwardEnd: () => ({ skipStep: true }) });
    const w0 = weights(model);
    await learn.fit(1, 1e-2);
    expect(weights(model)).toEqual(w0);
    const train = rec.log.filter((s) => s.train);
    const batch = [
      'onBatchBegin',
      'onLossBegin',
      'onBackwardBegin',
      'onBackwardEnd',
      'onStepSkipped',
      'onStepEnd',
      'onBatchEnd',
    ];
    expect(train.slice(2, 2 + 7).map((s) => s.event)).toEqual(batch);
    expect(rec.at('onStepSkipped')).toHaveLength(3);
    expect(rec.at('onStepSkipped').every((s) => s.hasGrad)).toBe(true);
    expect(rec.at('onBatchEnd').every((s) => !s.hasGrad)).toBe(true);
  });

  it('without skipStep, onStepSkipped never fires', async () => {
    const { rec, learn } = setup({});
    await learn.fit(1, 1e-2);
    expect(rec.at('onStepSkipped')).toHaveLength(0);
  });

  it('skipZero: gradients are kept and accumulate into the next batch', async () => {
    const model = tinyModel();
    const first: number[] = [];
    const rec = new Recording(model, { onStepEnd: () => ({ skipZero: true }) });
    const learn = new Learner(tinyData(), model, { silent: true, callbacks: [rec] });
    const grad = () => Array.from(model.parameters()[0]!.grad!.data());
    learn.callbacks.push(
      new Recording(model, {
        onBackwardEnd: (s) => {
          if (s.iteration === 0) first.push(...grad());
          return undefined;
        },
        onBackwardBegin: (s) => {
          // Before the second backward, the first batch's gradient is still there.
          if (s.iteration === 1) expect(grad()).toEqual(first);
          return undefined;
        },
      }),
    );
    await learn.fit(1, 1e-2);
    expect(
      rec
        .at('onBatchEnd')
        .filter((s) => s.train)
        .every((s) => s.hasGrad),
    ).toBe(true);
    noGrad(() => model.zeroGrad());
  });

  it('stopEpoch in training ends the epoch after that batch; validation still runs', async () => {
    const { rec, learn } = setup({ onBatchEnd: (s) => (s.train ? { stopEpoch: true } : undefined) });
    await learn.fit(2, 1e-2);
    const trainBatches = rec.at('onBatchEnd').filter((s) => s.train);
    expect(trainBatches).toHaveLength(2); // one per epoch
    expect(rec.at('onBatchEnd').filter((s) => !s.train)).toHaveLength(4);
    expect(rec.at('onEpochEnd')).toHaveLength(2);
  });

  it('stopEpoch in validation stops it early; the valid loss is that of the batches seen', async () => {
    const { rec, learn } = setup({ onBatchEnd: (s) => (s.train ? undefined : { stopEpoch: true }) });
    await learn.fit(1, 1e-2);
    const valid = rec.at('onBatchEnd').filter((s) => !s.train);
    expect(valid).toHaveLength(1);
    expect(rec.at('onEpochEnd')[0]!.lastMetrics[0]).toBe(Math.fround(valid[0]!.lastLoss!));
  });

  it('stopTraining at onEpochEnd ends the fit', async () => {
    const { rec, learn } = setup({ onEpochEnd: (s) => (s.epoch === 1 ? { stopTraining: true } : undefined) });
    await learn.fit(5, 1e-2);
    expect(rec.at('onEpochEnd')).toHaveLength(2);
    expect(rec.events().at(-1)).toBe('onTrainEnd');
  });

  it('stopTraining set during an epoch only takes effect at its end', async () => {
    const { rec, learn } = setup({
      onBatchBegin: (s) =>
        s.train && s.epoch === 1 && s.numBatch === 0 ? { stopTraining: true } : undefined,
    });
    await learn.fit(5, 1e-2);
    expect(rec.at('onEpochEnd')).toHaveLength(2);
    expect(rec.at('onBatchEnd').filter((s) => s.train)).toHaveLength(6); // epoch 1 ran all its batches
    expect(rec.at('onBatchEnd').filter((s) => !s.train)).toHaveLength(4); // and its validation
  });

  it('skipValidate: no validation batches, [null] metrics, metrics not called', async () => {
    const { rec, learn } = setup({ onTrainBegin: () => ({ skipValidate: true }) });
    await learn.fit(1, 1e-2);
    expect(rec.log.filter((s) => !s.train && s.event === 'onBatchBegin')).toHaveLength(0);
    expect(rec.at('onEpochEnd')[0]!.lastMetrics).toEqual([null]);
  });
});
