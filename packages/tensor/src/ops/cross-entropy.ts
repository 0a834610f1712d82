import { recordOp } from '../engine';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { Tensor } from '../tensor';
import {
  checkFloatArg,
  checkInt,
  checkNdim,
  checkSameDType,
  checkShapeOf,
  checkTensorArg,
  runInto,
} from './nn-args';

export type Reduction = 'none' | 'mean' | 'sum';

export interface CrossEntropyOptions {
  /** 'mean' (default) divides by the number of non-ignored targets, as PyTorch. */
  reduction?: Reduction;
  /** Targets equal to this contribute no loss and no gradient (default -100). */
  ignoreIndex?: number;
}

const REDUCTIONS: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

interface Checked {
  reduction: Reduction;
  ignoreIndex: number;
  lossDtype: 'float32' | 'float64';
}

function check(op: string, logits: Tensor, target: Tensor, options: unknown): Checked {
  checkFloatArg(op, 'logits', logits);
  checkTensorArg(op, 'target', target);
  checkNdim(op, 'logits', logits, 2, '(N, C)');
  if (target.dtype !== 'int32') throw new DTypeError(op, 'int32', `${target.dtype} (target)`);
  checkNdim(op, 'target', target, 1, '(N)');
  if (target.shape[0] !== logits.shape[0]) {
    throw new ShapeError(
      op,
      [logits.shape[0]],
      target.shape,
      'target shape (one class index per row of logits)',
    );
  }
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(op, 'options', 'an object', options);
  const o = options as CrossEntropyOptions;
  const reduction = o.reduction ?? 'mean';
  if (!Object.hasOwn(REDUCTIONS, reduction)) {
    throw new ArgumentError(op, 'reduction', "'none', 'mean' or 'sum'", reduction);
  }
  const ignoreIndex = checkInt(op, 'ignoreIndex', o.ignoreIndex ?? -100, -(2 ** 31), 2 ** 31 - 1);
  return { reduction, ignoreIndex, lossDtype: logits.dtype === 'float64' ? 'float64' : 'float32' };
}

/**
 * Cross-entropy of logits (N, C) against int32 class indices (N), fused log_softmax + nll_loss as
 * PyTorch's F.cross_entropy. Computed in float32 from any float32/half logits, and the loss is
 * float32 (the product's `lossFp32` policy); float64 logits give a float64 loss. A target outside
 * 0..C-1 (other than ignoreIndex) throws.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'cross_entropy';
  const c = check(op, logits, target, options);
  const shape = c.reduction === 'none' ? [logits.shape[0]!] : [];
  const loss = Tensor.empty(shape, c.lossDtype, logits.device);
  runInto(op, [logits, target], [loss], [REDUCTIONS[c.reduction], c.ignoreIndex]);
  recordOp(op, [logits, target], [loss], { reduction: c.reduction, ignoreIndex: c.ignoreIndex });
  return loss;
}

/**
 * The gradient of crossEntropy with respect to the logits, in the logits' dtype: (softmax - onehot)
 * times the upstream gradient (divided by the non-ignored count for 'mean'); zero on ignored rows.
 * `gradLoss` has the loss's shape and dtype.
 */
export function crossEntropyBackward(
  gradLoss: Tensor,
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'cross_entropy_backward';
  const c = check(op, logits, target, options);
  checkFloatArg(op, 'gradLoss', gradLoss);
  checkSameDType(op, 'gradLoss', gradLoss, c.lossDtype);
  checkShapeOf(op, 'gradLoss', gradLoss, c.reduction === 'none' ? [logits.shape[0]!] : []);
  const grad = Tensor.empty(logits.shape, logits.dtype, logits.device);
  runInto(op, [gradLoss, logits, target], [grad], [REDUCTIONS[c.reduction], c.ignoreIndex]);
  return grad;
}
