import { Adam, flattenModel, OptimWrapper } from '@mantissa/optim';
import { memory } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { accuracy, crossEntropyFlat, fit, type LoopLearner } from '../src';
import { Recording, tinyData, tinyModel } from './helpers';

function handMade(): LoopLearner {
  const model = tinyModel();
  const opt = OptimWrapper.create((g) => new Adam(g, { betas: [0.9, 0.99] }), 1e-2, [flattenModel(model)], {
    wd: 1e-2,
    trueWd: true,
  });
  return { model, opt, data: tinyData(), lossFunc: crossEntropyFlat, path: '.' };
}

describe('fit (the loop without a Learner)', () => {
  it('runs fastai v1 events in order and leaves memory where it found it', async () => {
    const learn = handMade();
    const rec = new Recording(learn.model);
    await fit(1, learn, { callbacks: [rec], metrics: [accuracy] });
    const before = memory().numTensors;
    await fit(2, learn, { callbacks: [rec], metrics: [accuracy] });
    expect(memory().numTensors).toBe(before);
    const trainBatch = [
      'onBatchBegin',
      'onLossBegin',
      'onBackwardBegin',
      'onBackwardEnd',
      'onStepEnd',
      'onBatchEnd',
    ];
    const validBatch = ['onBatchBegin', 'onLossBegin', 'onBatchEnd'];
    const epoch = [
      'onEpochBegin',
      ...Array(3).fill(trainBatch).flat(),
      ...validBatch,
      ...validBatch,
      'onEpochEnd',
    ];
    expect(rec.events().slice(0, 2 + epoch.length)).toEqual(['onTrainBegin', ...epoch, 'onTrainEnd']);
    const last = rec.at('onEpochEnd').at(-1)!;
    expect(last.lastMetrics).toHaveLength(2);
    expect(last.metricsNames).toEqual(['accuracy']);
  });
});
