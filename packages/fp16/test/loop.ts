/**
 * fastai v1's fit / loss_batch / validate driving a CallbackHandler, as @mantissa/learner runs them
 * (fp16 cannot depend on the learner): enough to test MixedPrecision event by event.
 */
import { noGrad } from '@mantissa/autograd';
import { Callback, CallbackHandler, type CallbackResult, type LoopState } from '@mantissa/callbacks';
import { crossEntropy, type Module } from '@mantissa/nn';
import { Adam, flattenModel, type LayerGroup, OptimWrapper } from '@mantissa/optim';
import { type Tensor, tidy } from '@mantissa/tensor';
import type { Batch, Fp16Learner } from '../src';
import { batch } from './helpers';

export interface MiniLearner extends Fp16Learner {
  model: Module;
  opt: OptimWrapper | null;
  data: {
    train: Batch[] & { length: number };
    valid: Batch[] | null;
    transforms: ((b: Batch) => Batch)[];
  } & {
    addTransform(tf: (b: Batch) => Batch): unknown;
    removeTransform(tf: (b: Batch) => Batch): boolean;
  };
  layerGroups: LayerGroup[];
  lr: number;
  wd: number;
}

/** A learner over fixed batches (from helpers' `batch`), AdamW-like (betas 0.9/0.99, true wd) as fastai's. */
export function miniLearner(
  model: Module,
  nTrain = 4,
  nValid = 2,
  options: { lr?: number; wd?: number } = {},
) {
  const transforms: ((b: Batch) => Batch)[] = [];
  const train = Array.from({ length: nTrain }, (_, i) => batch(i) as Batch);
  const valid = nValid === 0 ? null : Array.from({ length: nValid }, (_, i) => batch(100 + i) as Batch);
  const learn: MiniLearner = {
    model,
    opt: null,
    data: {
      train,
      valid,
      transforms,
      addTransform: (tf) => transforms.push(tf),
      removeTransform: (tf) => {
        const i = transforms.indexOf(tf);
        if (i >= 0) transforms.splice(i, 1);
        return i >= 0;
      },
    },
    lossFunc: (out, y) => crossEntropy(out, y),
    path: '.',
    callbacks: [],
    layerGroups: [flattenModel(model)],
    lr: options.lr ?? 1e-2,
    wd: options.wd ?? 1e-2,
  };
  return learn;
}

/** The learner's optimizer, created as fastai's create_opt (kept across fits unless the parameters changed). */
export function ensureOpt(learn: MiniLearner): OptimWrapper {
  learn.opt ??= OptimWrapper.create((g) => new Adam(g, { betas: [0.9, 0.99] }), learn.lr, learn.layerGroups, {
    wd: learn.wd,
    trueWd: true,
    bnWd: true,
  });
  return learn.opt;
}

function applyTfms(learn: MiniLearner, b: Batch): Batch {
  let out = b;
  for (const tf of learn.data.transforms) out = tf(out);
  return out;
}

function lossBatch(
  learn: MiniLearner,
  xb: Tensor,
  yb: Tensor,
  handler: CallbackHandler,
  train: boolean,
): Tensor {
  const out = handler.onLossBegin(learn.model.forward(xb));
  let loss = learn.lossFunc(out, yb);
  if (train) {
    let skipBwd: boolean;
    [loss, skipBwd] = handler.onBackwardBegin(loss);
    if (!skipBwd) loss.backward();
    if (handler.onBackwardEnd()) handler.onStepSkipped();
    else learn.opt!.step();
    if (!handler.onStepEnd()) learn.opt!.zeroGrad();
  }
  return loss.detach();
}

/** fastai's fit: the callbacks are the learner's plus `extra`. Returns the validation losses. */
export function miniFit(learn: MiniLearner, epochs: number, extra: Callback[] = []): (number | null)[] {
  ensureOpt(learn);
  const handler = new CallbackHandler([...learn.callbacks, ...extra]);
  const valid: (number | null)[] = [];
  let exception: unknown = false;
  try {
    handler.onTrainBegin(epochs);
    for (let e = 0; e < epochs; e++) {
      learn.model.train();
      handler.onEpochBegin();
      for (const b of learn.data.train) {
        const stop = tidy(() => {
          const [x, y] = applyTfms(learn, b);
          const [xb, yb] = handler.onBatchBegin(x, y, true);
          return handler.onBatchEnd(lossBatch(learn, xb, yb, handler, true));
        });
        if (stop) break;
      }
      let vloss: number | null = null;
      if (learn.data.valid !== null) {
        learn.model.eval();
        let sum = 0;
        noGrad(() => {
          for (const b of learn.data.valid!) {
            tidy(() => {
              const [x, y] = applyTfms(learn, b);
              const [xb, yb] = handler.onBatchBegin(x, y, false);
              const loss = lossBatch(learn, xb, yb, handler, false);
              sum += loss.item() as number;
              handler.onBatchEnd(loss);
            });
          }
        });
        vloss = sum / learn.data.valid.length;
      }
      valid.push(vloss);
      if (handler.onEpochEnd(vloss)) break;
    }
  } catch (e) {
    exception = e;
    throw e;
  } finally {
    handler.onTrainEnd(exception);
  }
  return valid;
}

/** A callback made of functions, at a given order. */
export function probe(
  order: number,
  on: Partial<Record<keyof Callback, (s: LoopState) => CallbackResult>>,
): Callback {
  const cb = new (class extends Callback {})();
  cb.order = order;
  Object.assign(cb, on);
  return cb;
}
