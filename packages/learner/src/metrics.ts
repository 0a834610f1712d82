import type { Metric } from '@mantissa/callbacks';
import { type Tensor, tidy } from '@mantissa/tensor';

/**
 * fastai's `accuracy`: the share of rows whose arg-max over the last axis equals the target, as a
 * float32 scalar. The handler averages it over the validation set weighted by batch size.
 */
export const accuracy: Metric = Object.assign(
  function accuracy(input: Tensor, targs: Tensor): Tensor {
    return tidy(() => {
      const n = targs.shape[0] ?? 1;
      const pred = input.argmax(-1).reshape([n, -1]);
      return pred
        .eq(targs.reshape([n, -1]))
        .float()
        .mean();
    });
  },
  { metricName: 'accuracy' },
);

/** fastai's `error_rate`: 1 - accuracy (shown as `error_rate` in the table, as fastai names it). */
export const errorRate: Metric = Object.assign(
  function errorRate(input: Tensor, targs: Tensor): Tensor {
    return tidy(() => accuracy(input, targs).neg().add(1));
  },
  { metricName: 'error_rate' },
);
