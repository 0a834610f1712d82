import { annealingCos, type Hyper, Scheduler } from './annealing';
import { Callback, type CallbackResult } from './callback';
import { CallbackArgumentError, CallbackError } from './errors';
import type { LearnerLike, LoopState, OptimizerLike } from './types';

export interface OneCycleOptions {
  /** Momentum goes moms[0] → moms[1] in phase 1 and back in phase 2; default [0.95, 0.85]. */
  moms?: number | readonly [number, number];
  /** The start lr is lrMax / divFactor; default 25. */
  divFactor?: number;
  /** The fraction of the iterations spent warming up; default 0.3. */
  pctStart?: number;
  /** The final lr is lrMax / finalDiv; default divFactor·1e4. */
  finalDiv?: number;
  /** The number of epochs the cycle spans; default the `fit`'s epoch count. */
  totEpochs?: number;
  /** Resume the cycle at this epoch (fastai's start_epoch: the loop starts there too). */
  startEpoch?: number;
}

/**
 * fastai v1's OneCycleScheduler: two cosine phases. Phase 1 (the first `floor(n·pctStart)` batches) takes
 * the lr from lrMax/divFactor up to lrMax and the momentum from moms[0] down to moms[1]; phase 2 takes the
 * lr down to lrMax/finalDiv and the momentum back up. Batch 0 trains with the start values; each
 * onBatchEnd sets the values for the next batch. When both phases are done, training stops.
 */
export class OneCycleScheduler extends Callback {
  readonly lrMax: Hyper;
  readonly moms: readonly [number, number];
  readonly divFactor: number;
  readonly pctStart: number;
  readonly finalDiv: number;
  startEpoch: number | undefined;
  totEpochs: number | undefined;
  lrScheds: Scheduler[] = [];
  momScheds: Scheduler[] = [];
  idxS = 0;

  constructor(
    readonly learn: LearnerLike,
    lrMax: Hyper,
    opts: OneCycleOptions = {},
  ) {
    super();
    const op = 'OneCycleScheduler';
    const lrs = typeof lrMax === 'number' ? [lrMax] : lrMax;
    if (lrs.length === 0 || lrs.some((v) => !(Number.isFinite(v) && v > 0))) {
      throw new CallbackArgumentError(op, 'lrMax', 'a positive number or one per layer group', lrMax);
    }
    this.lrMax = typeof lrMax === 'number' ? lrMax : [...lrMax];
    const m = opts.moms ?? [0.95, 0.85];
    this.moms = typeof m === 'number' ? [m, m] : [m[0], m[1]];
    this.divFactor = opts.divFactor ?? 25;
    this.pctStart = opts.pctStart ?? 0.3;
    this.finalDiv = opts.finalDiv ?? this.divFactor * 1e4;
    if (!(this.pctStart >= 0 && this.pctStart <= 1)) {
      throw new CallbackArgumentError(op, 'pctStart', 'in [0, 1]', this.pctStart);
    }
    this.totEpochs = opts.totEpochs;
    this.startEpoch = opts.startEpoch;
  }

  override onTrainBegin(s: LoopState): CallbackResult {
    const res = this.startEpoch !== undefined ? { epoch: this.startEpoch } : undefined;
    this.startEpoch ??= s.epoch;
    this.totEpochs ??= s.nEpochs;
    const n = this.learn.data.train.length * this.totEpochs;
    const a1 = Math.floor(n * this.pctStart);
    const a2 = n - a1;
    const lowLr = div(this.lrMax, this.divFactor);
    this.lrScheds = [
      new Scheduler({ start: lowLr, end: this.lrMax }, a1, annealingCos),
      new Scheduler({ start: this.lrMax, end: div(this.lrMax, this.finalDiv) }, a2, annealingCos),
    ];
    this.momScheds = [
      new Scheduler({ start: this.moms[0], end: this.moms[1] }, a1, annealingCos),
      new Scheduler({ start: this.moms[1], end: this.moms[0] }, a2, annealingCos),
    ];
    const opt = this.#opt();
    opt.lr = this.lrScheds[0]!.start;
    opt.mom = this.momScheds[0]!.start as number;
    this.idxS = 0;
    return res;
  }

  override jumpToEpoch(epoch: number): void {
    const n = this.learn.data.train.length * epoch;
    for (let i = 0; i < n; i++) this.#advance();
  }

  override onBatchEnd(s: LoopState): CallbackResult {
    return s.train ? this.#advance() : undefined;
  }

  override onEpochEnd(s: LoopState): CallbackResult {
    return this.totEpochs !== undefined && s.epoch > this.totEpochs ? { stopTraining: true } : undefined;
  }

  #advance(): CallbackResult {
    if (this.idxS >= this.lrScheds.length) return { stopTraining: true, stopEpoch: true };
    const opt = this.#opt();
    opt.lr = this.lrScheds[this.idxS]!.step();
    opt.mom = this.momScheds[this.idxS]!.step();
    if (this.lrScheds[this.idxS]!.isDone) this.idxS += 1;
    return undefined;
  }

  #opt(): OptimizerLike {
    const opt = this.learn.opt;
    if (opt === null)
      throw new CallbackError('OneCycleScheduler', 'the learner has no optimizer (learn.opt is null)');
    return opt;
  }
}

function div(v: Hyper, d: number): Hyper {
  return typeof v === 'number' ? v / d : v.map((x) => x / d);
}
