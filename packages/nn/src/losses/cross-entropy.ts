import { arange, crossEntropy as fusedCrossEntropy, type Tensor, where } from '@mantissa/tensor';
import {
  asRows,
  checkClassTargets,
  checkFloat,
  checkIgnoreIndex,
  checkOptions,
  checkReduction,
  checkTensor,
  compose,
  inLossDType,
  lossDType,
  type Reduction,
} from './common';

export interface ClassLossOptions {
  /** 'mean' (default) divides by the number of non-ignored targets; 'none' keeps the target's shape. */
  reduction?: Reduction;
  /** Targets equal to this contribute no loss and no gradient (default -100). */
  ignoreIndex?: number;
}

/**
 * Cross-entropy between logits and int32 class indices, as PyTorch's F.cross_entropy: logits (C),
 * (N, C) or (N, C, d1, ..., dk) with targets (), (N) or (N, d1, ..., dk). Runs the tensor package's
 * fused log-softmax + NLL kernel, which computes in float32 from half logits (the same values as
 * casting them first: the cast is exact) and returns a float32 loss; float64 logits give float64.
 * A target outside 0..C-1 other than ignoreIndex throws a ClassIndexError.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkFloat(op, 'logits', logits);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const reduction = checkReduction(op, o.reduction);
  const ignoreIndex = checkIgnoreIndex(op, o.ignoreIndex);
  checkClassTargets(op, logits, 'logits', target, ignoreIndex);
  return compose((tmp) => {
    const { rows, targets } = asRows(logits, target, tmp);
    const loss = fusedCrossEntropy(rows, targets, { reduction, ignoreIndex });
    if (reduction !== 'none' || logits.ndim === 2) return loss;
    return tmp(loss).reshape(target.shape);
  });
}

/**
 * Negative log-likelihood of log-probabilities (e.g. logSoftmax output) at int32 class indices, as
 * PyTorch's F.nll_loss; shapes as crossEntropy. Computed in float32 (half input is cast first;
 * float64 stays float64) from public ops, so autograd differentiates it. 'mean' over no
 * non-ignored target is NaN, as in PyTorch.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  const op = 'nllLoss';
  checkFloat(op, 'logProbs', logProbs);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const reduction = checkReduction(op, o.reduction);
  const ignoreIndex = checkIgnoreIndex(op, o.ignoreIndex);
  const { numClasses, count } = checkClassTargets(op, logProbs, 'logProbs', target, ignoreIndex);
  return compose((tmp) => {
    const lp = inLossDType(logProbs, lossDType(logProbs), tmp);
    const { rows, targets } = asRows(lp, target, tmp);
    // An ignoreIndex inside 0..C-1 would select a class: ignored rows point at no class instead.
    const picked =
      ignoreIndex >= 0 && ignoreIndex < numClasses
        ? tmp(where(tmp(targets.ne(ignoreIndex)), targets, -1))
        : targets;
    const classes = tmp(arange(0, numClasses, 1, { dtype: 'int32', device: rows.device }));
    const onehot = tmp(classes.eq(tmp(picked.unsqueeze(1))));
    // Negate before selecting: an ignored row is a sum of +0s, +0 as in PyTorch (not -0).
    const perRow = tmp(where(onehot, tmp(rows.neg()), 0)).sum(1);
    if (reduction === 'none') return logProbs.ndim === 2 ? perRow : tmp(perRow).reshape(target.shape);
    const total = tmp(perRow).sum();
    return reduction === 'sum' ? total : tmp(total).div(count);
  });
}
