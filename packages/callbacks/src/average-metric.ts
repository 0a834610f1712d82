import type { Tensor } from '@mantissa/tensor';
import { Callback, type CallbackResult } from './callback';
import { CallbackArgumentError } from './errors';
import type { LoopState, Metric } from './types';

const f32 = Math.fround;

/**
 * fastai v1's AverageMetric: the batch-size weighted mean of a metric over the validation set. The handler
 * calls metrics only during validation batches, so onBatchEnd needs no `train` check (as in fastai).
 * Accumulation is in float32 when the metric returns a float32 (or half) tensor, as PyTorch did.
 */
export class AverageMetric extends Callback {
  readonly func: Metric;
  override readonly name: string;
  val = 0;
  count = 0;
  #double = false;

  constructor(func: Metric) {
    super();
    if (typeof func !== 'function') {
      throw new CallbackArgumentError('AverageMetric', 'func', 'a function (output, target) => Tensor', func);
    }
    this.func = func;
    this.name = func.metricName ?? func.name;
  }

  override onEpochBegin(): void {
    this.val = 0;
    this.count = 0;
    this.#double = false;
  }

  override onBatchEnd(s: LoopState): void {
    const out = s.lastOutput;
    const target = s.lastTarget;
    if (out === null || target === null) return;
    const bs = target.shape[0] ?? 1;
    const v = this.func(out, target) as Tensor | number;
    let value: number;
    if (typeof v === 'number') {
      value = v;
      this.#double = true;
    } else {
      value = Number(v.item());
      if (v.dtype === 'float64') this.#double = true;
    }
    this.count += bs;
    this.val = this.#double ? this.val + bs * value : f32(this.val + f32(bs * value));
  }

  override onEpochEnd(s: LoopState): CallbackResult {
    const mean = this.count === 0 ? null : this.#double ? this.val / this.count : f32(this.val / this.count);
    return { lastMetrics: [...s.lastMetrics, mean] };
  }
}
