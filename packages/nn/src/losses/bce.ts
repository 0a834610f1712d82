import {
  ArgumentError,
  broadcastShapes,
  isTensor,
  MantissaError,
  ShapeError,
  type Tensor,
  where,
} from '@mantissa/tensor';
import {
  checkFloat,
  checkOptions,
  checkReduction,
  checkSameShape,
  compose,
  inLossDType,
  type LossDType,
  lossDType,
  type Reduction,
} from './common';

export interface BceWithLogitsOptions {
  reduction?: Reduction;
  /**
   * Weight of the positive term, broadcast against the logits (typically one per class, shape (C)),
   * or a number: PyTorch's pos_weight.
   */
  posWeight?: Tensor | number;
}

type Tmp = <T extends Tensor>(t: T) => T;

/**
 * log(1 + z) for z in (0, 1], accurate for tiny z where 1 + z rounds to 1 (there is no log1p op):
 * log(u) * z / (u - 1) with u = fl(1 + z) cancels the rounding of u (Goldberg's method), and is z
 * itself when u == 1. The guarded divisor keeps the unused branch finite so its gradient is 0, not NaN.
 */
function log1p(z: Tensor, tmp: Tmp): Tensor {
  const u = tmp(z.add(1));
  const d = tmp(u.sub(1));
  const exact = tmp(d.eq(0));
  const ratio = tmp(z.div(tmp(where(exact, 1, d))));
  return where(exact, z, tmp(tmp(u.log()).mul(ratio)));
}

function checkPosWeight(op: string, pw: unknown, shape: readonly number[]): Tensor | number | undefined {
  if (pw === undefined || typeof pw === 'number') return pw;
  if (!isTensor(pw)) throw new ArgumentError(op, 'posWeight', 'a Tensor or a number', pw);
  checkFloat(op, 'posWeight', pw);
  let joint: number[] | null;
  try {
    joint = broadcastShapes(op, pw.shape, shape);
  } catch (e) {
    if (!MantissaError.isInstance(e)) throw e;
    joint = null;
  }
  if (joint === null || joint.length !== shape.length || joint.some((s, i) => s !== shape[i])) {
    throw new ShapeError(op, `a shape that broadcasts to [${shape.join(', ')}]`, pw.shape, 'posWeight shape');
  }
  return pw;
}

/**
 * Binary cross-entropy on logits, as PyTorch's F.binary_cross_entropy_with_logits, in its
 * numerically stable form max(x, 0) - x*y + log(1 + exp(-|x|)); with posWeight p,
 * (1 - y)*x + (1 + (p - 1)*y) * (max(-x, 0) + log(1 + exp(-|x|))). Computed in float32 whatever the
 * input dtypes (float64 when any is float64). |x| and max(., 0) select one side with `where`, so
 * the gradient at x = 0 is sigmoid(0) - y, the limit from either side.
 */
export function bceWithLogits(logits: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = 'bceWithLogits';
  checkFloat(op, 'logits', logits);
  checkFloat(op, 'target', target);
  checkSameShape(op, 'target', target, logits.shape);
  const o = checkOptions(op, options);
  const reduction = checkReduction(op, o.reduction);
  const posWeight = checkPosWeight(op, o.posWeight, logits.shape);
  if (typeof posWeight === 'number' && !Number.isFinite(posWeight)) {
    throw new ArgumentError(op, 'posWeight', 'a finite number', posWeight);
  }
  return compose((tmp) => {
    const dtype: LossDType = isTensor(posWeight)
      ? lossDType(logits, target, posWeight)
      : lossDType(logits, target);
    const x = inLossDType(logits, dtype, tmp);
    const y = inLossDType(target, dtype, tmp);
    const positive = tmp(x.ge(0));
    const absX = tmp(where(positive, x, tmp(x.neg())));
    const softTail = tmp(log1p(tmp(tmp(absX.neg()).exp()), tmp));
    let loss: Tensor;
    if (posWeight === undefined) {
      const maxX0 = tmp(where(positive, x, 0));
      loss = tmp(tmp(maxX0.sub(tmp(x.mul(y)))).add(softTail));
    } else {
      const p = isTensor(posWeight) ? inLossDType(posWeight, dtype, tmp) : posWeight;
      const weight = isTensor(p) ? tmp(tmp(tmp(p.sub(1)).mul(y)).add(1)) : tmp(tmp(y.mul(p - 1)).add(1));
      const softplusNegX = tmp(tmp(where(positive, 0, tmp(x.neg()))).add(softTail));
      loss = tmp(tmp(tmp(tmp(y.neg()).add(1)).mul(x)).add(tmp(weight.mul(softplusNegX))));
    }
    if (reduction === 'none') return loss;
    return reduction === 'sum' ? loss.sum() : loss.mean();
  });
}
