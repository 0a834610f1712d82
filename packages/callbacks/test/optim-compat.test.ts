import { Linear } from '@mantissa/nn';
import { Adam, flattenModel, OptimWrapper } from '@mantissa/optim';
import { describe, expect, it } from 'vitest';
import { CallbackHandler, type LearnerLike, OneCycleScheduler, type OptimizerLike, Recorder } from '../src';

describe('with @mantissa/optim', () => {
  it("OptimWrapper is an OptimizerLike; OneCycle writes lr and beta1 into the optimizer's groups", () => {
    const model = new Linear(2, 2);
    const opt: OptimizerLike = OptimWrapper.create(
      (g) => new Adam(g, { betas: [0.9, 0.99] }),
      [1e-3],
      [flattenModel(model)],
    );
    const learn: LearnerLike = {
      model,
      opt,
      data: { train: { length: 10 }, valid: null },
      lossFunc: (o) => o,
      path: '.',
    };
    const rec = new Recorder(learn, { silent: true });
    const h = new CallbackHandler([new OneCycleScheduler(learn, 3e-3), rec]);
    h.onTrainBegin(1);
    const groups = (opt as OptimWrapper).paramGroups as unknown as { lr: number; betas: number[] }[];
    expect(groups.map((g) => g.lr)).toEqual([3e-3 / 25, 3e-3 / 25]);
    expect(groups.map((g) => g.betas[0])).toEqual([0.95, 0.95]);
    expect(opt.beta).toBe(0.99);
  });
});
