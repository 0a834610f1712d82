import type { Tensor } from '@mantissa/tensor';
import {
  checkFloat,
  checkOptions,
  checkReduction,
  checkSameShape,
  compose,
  inLossDType,
  lossDType,
  type Reduction,
} from './common';

export interface ReductionOptions {
  /** 'mean' (default), 'sum' or 'none' (elementwise, the input's shape). */
  reduction?: Reduction;
}

/**
 * Mean squared error (x - y)^2, as PyTorch's F.mse_loss with input and target of the same shape.
 * Computed in float32 whatever the input dtypes (float64 when either is float64).
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const op = 'mseLoss';
  checkFloat(op, 'input', input);
  checkFloat(op, 'target', target);
  checkSameShape(op, 'target', target, input.shape);
  const reduction = checkReduction(op, checkOptions(op, options).reduction);
  return compose((tmp) => {
    const dtype = lossDType(input, target);
    const diff = tmp(inLossDType(input, dtype, tmp).sub(inLossDType(target, dtype, tmp)));
    const sq = diff.mul(diff);
    if (reduction === 'none') return sq;
    return reduction === 'sum' ? tmp(sq).sum() : tmp(sq).mean();
  });
}
