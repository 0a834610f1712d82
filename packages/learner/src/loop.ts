import { noGrad } from '@mantissa/autograd';
import {
  Callback,
  CallbackHandler,
  type LearnerLike,
  type Metric,
  type OptimizerLike,
} from '@mantissa/callbacks';
import type { Module } from '@mantissa/nn';
import { type Tensor, tidy } from '@mantissa/tensor';
import { LearnerError } from './errors';
import { float32WeightedMean } from './float32';

/** One batch `[x, y]`, as @mantissa/data's loaders yield it (the consumer owns the tensors). */
export type Batch = readonly [x: Tensor, y: Tensor];

/** A loader: batches, and how many there are per epoch. */
export interface BatchLoaderLike extends Iterable<Batch> {
  readonly length: number;
}

/** What the loop reads from the data: a training loader and an optional validation loader. */
export interface DataLike {
  readonly train: BatchLoaderLike;
  readonly valid: BatchLoaderLike | null;
}

export type LossFunc = (output: Tensor, target: Tensor) => Tensor;

/**
 * What the loop needs from a learner. `opt` is read again for every batch, so a callback may replace
 * the optimizer (or re-point it at other parameters, as mixed precision does) in `onTrainBegin`.
 */
export interface LoopLearner extends LearnerLike {
  readonly data: DataLike;
}

export interface LoopOptions {
  callbacks?: readonly Callback[];
  metrics?: readonly (Metric | Callback)[];
}

/**
 * Runs `body` on every batch of an epoch, each batch in its own `tidy` scope: the batch, the forward
 * graph and everything the callbacks create for it are freed before the next one, so memory is flat
 * over a run. `body` returns true to stop the epoch (fastai's `stop_epoch`).
 */
/** @internal */
export function eachBatch(loader: BatchLoaderLike, body: (xb: Tensor, yb: Tensor) => boolean): void {
  const it = loader[Symbol.iterator]();
  let done = false;
  try {
    while (!done) {
      done = tidy(() => {
        const next = it.next();
        return next.done === true || body(next.value[0], next.value[1]);
      });
    }
  } finally {
    // Closes a generator that was left early (a stop flag or an exception).
    it.return?.();
  }
}

/**
 * fastai v1's `loss_batch`: forward, `onLossBegin`, the loss, and with an optimizer `onBackwardBegin`,
 * backward (unless `skipBwd`), `onBackwardEnd`, the step (or `onStepSkipped` when `skipStep`),
 * `onStepEnd` and `zeroGrad` (unless `skipZero`). Returns the detached loss the callbacks settled on.
 */
export function lossBatch(
  model: Module,
  xb: Tensor,
  yb: Tensor,
  lossFunc: LossFunc,
  opt: OptimizerLike | null,
  handler: CallbackHandler,
): Tensor {
  const out = handler.onLossBegin(model.forward(xb));
  let loss = lossFunc(out, yb);
  if (opt !== null) {
    let skipBwd: boolean;
    [loss, skipBwd] = handler.onBackwardBegin(loss);
    if (!skipBwd) loss.backward();
    if (handler.onBackwardEnd()) handler.onStepSkipped();
    else opt.step();
    if (!handler.onStepEnd()) opt.zeroGrad();
  }
  return loss.detach();
}

/**
 * fastai v1's `validate`: the model in eval mode without gradients; `onBatchBegin(train=false)`,
 * `onLossBegin` and `onBatchEnd` per batch (a true return stops early); the result is the mean of the
 * batch losses weighted by batch size, in float32 arithmetic as fastai's numpy computation.
 */
export function validate(
  model: Module,
  loader: BatchLoaderLike,
  lossFunc: LossFunc,
  handler: CallbackHandler,
): number {
  model.eval();
  return noGrad(() => {
    const losses: number[] = [];
    const sizes: number[] = [];
    eachBatch(loader, (x, y) => {
      const [xb, yb] = handler.onBatchBegin(x, y, false);
      const loss = lossBatch(model, xb, yb, lossFunc, null, handler);
      losses.push(Number(loss.item()));
      sizes.push(yb.shape[0] ?? 1);
      return handler.onBatchEnd(loss);
    });
    return float32WeightedMean(losses, sizes);
  });
}

/**
 * fastai v1's `basic_train.fit`, event by event (see the package README for the order). The handler
 * is new for every call, so the smoothed loss restarts with each fit. `onTrainEnd` always runs, with
 * the exception (rethrown afterwards) or `false`.
 */
export async function fit(epochs: number, learn: LoopLearner, options: LoopOptions = {}): Promise<void> {
  const op = 'fit';
  if (!Number.isSafeInteger(epochs) || epochs < 1) {
    throw new LearnerError(op, 'a positive integer', epochs, 'epochs');
  }
  const metrics = [...(options.metrics ?? [])];
  checkMetrics(op, metrics);
  const train = learn.data.train;
  if (train.length === 0) {
    throw new LearnerError(op, 'a training loader with at least one batch', 'an empty one', 'data.train');
  }
  const handler = new CallbackHandler([...(options.callbacks ?? [])], metrics);
  let exception: unknown = false;
  try {
    handler.onTrainBegin(epochs);
    // A callback may start at a later epoch (fastai's start_epoch): only the remaining ones run.
    for (let remaining = epochs - handler.state.epoch; remaining > 0; remaining--) {
      learn.model.train();
      handler.onEpochBegin();
      eachBatch(train, (x, y) => {
        const [xb, yb] = handler.onBatchBegin(x, y, true);
        return handler.onBatchEnd(lossBatch(learn.model, xb, yb, learn.lossFunc, learn.opt, handler));
      });
      const valid = learn.data.valid;
      const validLoss =
        handler.state.skipValidate || valid === null || valid === undefined || valid.length === 0
          ? null
          : validate(learn.model, valid, learn.lossFunc, handler);
      if (handler.onEpochEnd(validLoss)) break;
    }
  } catch (e) {
    exception = e;
    throw e;
  } finally {
    handler.onTrainEnd(exception);
  }
}

/**
 * Metrics are functions `(output, target) => Tensor` (the handler averages them over the validation
 * set, as fastai's AverageMetric) or Callback instances that append to `lastMetrics` themselves.
 */
export function checkMetrics(
  op: string,
  metrics: readonly unknown[],
): asserts metrics is (Metric | Callback)[] {
  metrics.forEach((m, i) => {
    if (typeof m !== 'function' && !(m instanceof Callback)) {
      throw new LearnerError(op, 'a function (output, target) => Tensor or a Callback', m, `metrics[${i}]`);
    }
  });
}
