/**
 * A small training loop shaped exactly like fastai v1's basic_train.fit / loss_batch / validate, driving a
 * CallbackHandler. The "model" is the identity, the "loss" is the mean of the output, and the optimizer
 * only counts calls, so the tests can see every decision the handler returns.
 */
import { type Tensor, tensor } from '@mantissa/tensor';
import type { CallbackHandler, LearnerLike, OptimizerLike } from '../src';

export class FakeOpt implements OptimizerLike {
  lrs: number[] = [0.001];
  moms: number[] = [0.9];
  wds: number[] = [0.01];
  betas: number[] = [0.99];
  steps = 0;
  zeros = 0;
  get lr(): number {
    return this.lrs[this.lrs.length - 1]!;
  }
  set lr(v: number | readonly number[]) {
    this.lrs = typeof v === 'number' ? this.lrs.map(() => v) : [...v];
  }
  get mom(): number {
    return this.moms[this.moms.length - 1]!;
  }
  set mom(v: number | readonly number[]) {
    this.moms = typeof v === 'number' ? this.moms.map(() => v) : [...v];
  }
  get wd(): number {
    return this.wds[this.wds.length - 1]!;
  }
  set wd(v: number | readonly number[]) {
    this.wds = typeof v === 'number' ? this.wds.map(() => v) : [...v];
  }
  get beta(): number | null {
    return this.betas[this.betas.length - 1]!;
  }
  set beta(v: number | readonly number[]) {
    this.betas = typeof v === 'number' ? this.betas.map(() => v) : [...v];
  }
  step(): void {
    this.steps += 1;
  }
  zeroGrad(): void {
    this.zeros += 1;
  }
}

export type Batch = [Tensor, Tensor];

export interface FakeLearner extends LearnerLike {
  opt: FakeOpt;
  trainBatches: Batch[];
  validBatches: Batch[] | null;
  backwards: number;
}

/** Batches of `bs` rows: x holds the loss value of the batch, y the class indices 0/1 alternating. */
export function makeBatches(losses: readonly number[], bs = 4): Batch[] {
  return losses.map((l) => [
    tensor(Array.from({ length: bs }, () => [l, 1 - l])),
    tensor(
      Array.from({ length: bs }, (_, i) => i % 2),
      { dtype: 'int32' },
    ),
  ]);
}

export function fakeLearner(
  trainLosses: readonly number[],
  validLosses: readonly number[] | null,
  path = '/tmp',
): FakeLearner {
  const trainBatches = makeBatches(trainLosses);
  const validBatches = validLosses === null ? null : makeBatches(validLosses, 3);
  return {
    model: null as unknown as LearnerLike['model'],
    opt: new FakeOpt(),
    data: {
      train: { length: trainBatches.length },
      valid: validBatches === null ? null : { length: validBatches.length },
    },
    // mean of column 0 of the output: the batch's loss value
    lossFunc: (out: Tensor) => out.narrow(1, 0, 1).mean(),
    path,
    trainBatches,
    validBatches,
    backwards: 0,
  };
}

/** fastai's loss_batch: returns the loss that came back from onBackwardBegin (training) or the raw loss. */
function lossBatch(learn: FakeLearner, xb: Tensor, yb: Tensor, train: boolean, cb: CallbackHandler): Tensor {
  const out = cb.onLossBegin(xb); // the model is the identity
  let loss = learn.lossFunc(out, yb);
  if (!train) return loss;
  const [l, skipBwd] = cb.onBackwardBegin(loss);
  loss = l;
  if (!skipBwd) learn.backwards += 1;
  if (!cb.onBackwardEnd()) learn.opt.step();
  else cb.onStepSkipped();
  if (!cb.onStepEnd()) learn.opt.zeroGrad();
  return loss;
}

/** fastai's validate: the batch-size weighted mean of the batch losses, in float32. */
function validate(learn: FakeLearner, cb: CallbackHandler): number {
  const losses: number[] = [];
  const nums: number[] = [];
  for (const [x, y] of learn.validBatches!) {
    const [xb, yb] = cb.onBatchBegin(x, y, false);
    const loss = lossBatch(learn, xb, yb, false, cb);
    losses.push(Number(loss.item()));
    nums.push(yb.shape[0]!);
    if (cb.onBatchEnd(loss)) break;
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < losses.length; i++) {
    num = Math.fround(num + Math.fround(losses[i]! * nums[i]!));
    den += nums[i]!;
  }
  return Math.fround(num / den);
}

/** fastai's fit(epochs, learn, callbacks, metrics), driving `cb`. */
export function fit(epochs: number, learn: FakeLearner, cb: CallbackHandler): void {
  let exception: unknown = false;
  try {
    cb.onTrainBegin(epochs);
    for (let epoch = cb.state.epoch; epoch < epochs; epoch++) {
      cb.onEpochBegin();
      for (const [x, y] of learn.trainBatches) {
        const [xb, yb] = cb.onBatchBegin(x, y, true);
        const loss = lossBatch(learn, xb, yb, true, cb);
        if (cb.onBatchEnd(loss)) break;
      }
      const validLoss = !cb.skipValidate && learn.validBatches !== null ? validate(learn, cb) : null;
      if (cb.onEpochEnd(validLoss)) break;
    }
  } catch (e) {
    exception = e;
    throw e;
  } finally {
    cb.onTrainEnd(exception);
  }
}
