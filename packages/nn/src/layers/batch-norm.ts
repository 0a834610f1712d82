import { batchNorm, ones, type Tensor, zeros } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { checkInput } from './input-error';
import { adopt, checkBool, checkInt } from './shared';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running ones (default 0.1); null: cumulative average. */
  momentum?: number | null;
  /** Learnable per-channel weight (1) and bias (0); default true. */
  affine?: boolean;
  /** Keep running_mean (0), running_var (1) and num_batches_tracked (int32 0) buffers; default true. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation as PyTorch's _BatchNorm: in training mode (or without running statistics) it
 * normalises with the batch's statistics and updates the running ones; in eval mode it uses the running
 * ones. A float16/bfloat16 input with float32 parameters (the fp16 policy) is computed in float32 and
 * returned in the input's dtype.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  protected abstract readonly ndims: readonly number[];
  protected abstract readonly layout: string;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    const L = new.target.name;
    this.numFeatures = checkInt(L, 'numFeatures', numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (typeof this.eps !== 'number' || !(this.eps >= 0) || !Number.isFinite(this.eps)) {
      throw new NnError(L, `expected eps to be a finite number >= 0, got ${fmtValue(options.eps)}`);
    }
    if (this.momentum !== null && (typeof this.momentum !== 'number' || !Number.isFinite(this.momentum))) {
      throw new NnError(
        L,
        `expected momentum to be a finite number or null, got ${fmtValue(options.momentum)}`,
      );
    }
    this.affine = checkBool(L, 'affine', options.affine ?? true);
    this.trackRunningStats = checkBool(L, 'trackRunningStats', options.trackRunningStats ?? true);
    this.weight = this.affine ? adopt(ones([numFeatures])) : null;
    this.bias = this.affine ? adopt(zeros([numFeatures])) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  forward(x: Tensor): Tensor {
    const t = checkInput(this, x, this.ndims, this.layout, { count: this.numFeatures, what: 'channels' });
    let factor = this.momentum ?? 0;
    const tracked = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && tracked !== null) {
      tracked.add_(1);
      if (this.momentum === null) factor = 1 / (tracked.item() as number);
    }
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(t, {
      weight: this.weight,
      bias: this.bias,
      runningMean: useRunning ? this.runningMean : null,
      runningVar: useRunning ? this.runningVar : null,
      training: this.training || this.runningMean === null,
      momentum: factor,
      eps: this.eps,
    }).output;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

/** BatchNorm over (N, C) or (N, C, L) inputs, as torch.nn.BatchNorm1d. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ndims = [2, 3];
  protected readonly layout = '(N, C) or (N, C, L)';
}

/** BatchNorm over (N, C, H, W) inputs, as torch.nn.BatchNorm2d. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ndims = [4];
  protected readonly layout = '(N, C, H, W)';
}
