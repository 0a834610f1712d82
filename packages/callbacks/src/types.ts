import type { Module } from '@mantissa/nn';
import type { Tensor } from '@mantissa/tensor';
import type { Callback } from './callback';

/** A metric: a function of (output, target) giving a scalar tensor, wrapped in an AverageMetric. */
export type Metric = ((output: Tensor, target: Tensor) => Tensor) & { metricName?: string };

/**
 * fastai v1's callback state dict, with its keys in camelCase. The handler owns it; a callback reads it
 * and may return a partial state whose values replace the handler's.
 */
export interface LoopState {
  /** 0-based during an epoch; the handler increments it after onEpochEnd. */
  epoch: number;
  /** Training batches seen since onTrainBegin. */
  iteration: number;
  /** Training batches seen in this epoch. */
  numBatch: number;
  nEpochs: number;
  train: boolean;
  lastInput: Tensor | null;
  lastTarget: Tensor | null;
  lastOutput: Tensor | null;
  lastLoss: Tensor | null;
  /** The debiased exponential moving average (β = 0.98) of the training loss, in float32 like fastai's. */
  smoothLoss: number | null;
  /** `[validLoss, ...metric values]` after onEpochEnd (`[null]` when validation did not run). */
  lastMetrics: (number | null)[];
  metrics: (Metric | Callback)[];
  metricsNames: string[];
  stopEpoch: boolean;
  stopTraining: boolean;
  skipStep: boolean;
  skipZero: boolean;
  skipBwd: boolean;
  skipValidate: boolean;
  /** What ended training: the thrown value, or false when training finished normally (set at onTrainEnd). */
  exception: unknown;
}

/** What a callback may see of the optimizer: fastai's OptimWrapper hyper-parameters (@mantissa/optim's satisfies it). */
export interface OptimizerLike {
  /** The last layer group's value; setting a number sets every group, an array one value per group. */
  get lr(): number;
  set lr(v: number | readonly number[]);
  get mom(): number;
  set mom(v: number | readonly number[]);
  get wd(): number;
  set wd(v: number | readonly number[]);
  get beta(): number | null;
  set beta(v: number | readonly number[]);
  step(): void;
  zeroGrad(): void;
}

/** What a callback may see of the learner. */
export interface LearnerLike {
  model: Module;
  /** Created by the learner before onTrainBegin. */
  opt: OptimizerLike | null;
  data: { train: { length: number }; valid: { length: number } | null };
  lossFunc: (output: Tensor, target: Tensor) => Tensor;
  /** Where the learner saves (plots, csv). */
  path: string;
}
