import { recordOp } from '../engine';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { sameShape } from '../shape';
import type { Tensor } from '../tensor';
import { checkFloatArg, checkSameDType, checkShapeOf, checkTensorArg, runInto } from './nn-args';

/**
 * Fused optimizer updates for @mantissa/optim: each is one native pass over a parameter, its gradient
 * and its state, written in place, with torch.optim's arithmetic (1.13 single-tensor path). They are
 * the kernels, not the optimizers: step counting, parameter groups and state live in @mantissa/optim.
 */

export interface SgdStepOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Decoupled weight decay (fastai's true weight decay): param *= 1 - lr * wd, no L2 term in the gradient. */
  decoupledWeightDecay?: boolean;
  maximize?: boolean;
  /** The momentum buffer holds no history yet: it is set to the gradient (PyTorch's first step). */
  bufferIsNew?: boolean;
}

export interface AdamStepOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: param *= 1 - lr * wd before the update; Adam (false) adds wd * param to the gradient. */
  decoupledWeightDecay?: boolean;
  maximize?: boolean;
  /** The step number after this update, from 1 (bias corrections use it). */
  step: number;
}

function hyper(op: string, name: string, v: unknown, min: number, max = Number.POSITIVE_INFINITY): number {
  if (typeof v !== 'number' || !(v >= min && v <= max) || !Number.isFinite(v)) {
    throw new ArgumentError(op, name, `a finite number in [${min}, ${max}]`, v);
  }
  return v;
}

function flag(op: string, name: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'boolean') throw new ArgumentError(op, name, 'a boolean', v);
  return v ? 1 : 0;
}

function checkWritableParam(op: string, param: Tensor): void {
  if (param.shape.some((s, d) => s > 1 && param.strides[d] === 0)) {
    throw new ArgumentError(
      op,
      'param',
      'a tensor whose elements do not share memory',
      `strides ${param.strides}`,
    );
  }
}

function checkGrad(op: string, param: Tensor, grad: unknown): Tensor {
  const g = checkTensorArg(op, 'grad', grad);
  checkSameDType(op, 'grad', g, param.dtype);
  checkShapeOf(op, 'grad', g, param.shape);
  return g;
}

function checkState(op: string, name: string, param: Tensor, state: unknown): Tensor {
  const s = checkTensorArg(op, name, state);
  if (s.dtype !== param.dtype && s.dtype !== 'float32') {
    throw new DTypeError(op, [param.dtype, 'float32'], `${s.dtype} (${name})`);
  }
  if (!sameShape(s.shape, param.shape)) throw new ShapeError(op, param.shape, s.shape, `${name} shape`);
  checkWritableParam(op, s);
  return s;
}

/** One SGD update of `param` in place (and of `momentumBuffer`, required when momentum > 0). */
export function sgdStep_(
  param: Tensor,
  grad: Tensor,
  momentumBuffer: Tensor | null,
  options: SgdStepOptions,
): Tensor {
  const op = 'sgd_step';
  checkFloatArg(op, 'param', param);
  checkWritableParam(op, param);
  const g = checkGrad(op, param, grad);
  const o = options ?? ({} as SgdStepOptions);
  const lr = hyper(op, 'lr', o.lr, 0);
  const momentum = hyper(op, 'momentum', o.momentum ?? 0, 0);
  const dampening = hyper(op, 'dampening', o.dampening ?? 0, Number.NEGATIVE_INFINITY);
  const wd = hyper(op, 'weightDecay', o.weightDecay ?? 0, 0);
  const nesterov = flag(op, 'nesterov', o.nesterov);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new ArgumentError(
      op,
      'nesterov',
      'momentum > 0 and dampening 0',
      `momentum ${momentum}, dampening ${dampening}`,
    );
  }
  const tensors = [param, g];
  if (momentum !== 0) {
    if (momentumBuffer === null || momentumBuffer === undefined) {
      throw new ArgumentError(op, 'momentumBuffer', 'a tensor when momentum > 0', momentumBuffer);
    }
    tensors.push(checkState(op, 'momentumBuffer', param, momentumBuffer));
  }
  const attrs = [
    lr,
    momentum,
    dampening,
    wd,
    nesterov,
    flag(op, 'bufferIsNew', o.bufferIsNew),
    flag(op, 'decoupledWeightDecay', o.decoupledWeightDecay),
    flag(op, 'maximize', o.maximize),
  ];
  runInto(op, tensors, [], attrs);
  recordOp(op, tensors, tensors.length === 3 ? [param, tensors[2]!] : [param]);
  return param;
}

/** One Adam (or AdamW) update of `param`, `expAvg` and `expAvgSq` in place. */
export function adamStep_(
  param: Tensor,
  grad: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  options: AdamStepOptions,
): Tensor {
  const op = 'adam_step';
  checkFloatArg(op, 'param', param);
  checkWritableParam(op, param);
  const g = checkGrad(op, param, grad);
  const m = checkState(op, 'expAvg', param, expAvg);
  const v = checkState(op, 'expAvgSq', param, expAvgSq);
  if (m.dtype !== v.dtype) throw new DTypeError(op, m.dtype, `${v.dtype} (expAvgSq)`);
  const o = options ?? ({} as AdamStepOptions);
  const step = o.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) {
    throw new ArgumentError(op, 'step', 'an integer >= 1', step);
  }
  const below1 = 1 - 2 ** -53;
  const attrs = [
    hyper(op, 'lr', o.lr, 0),
    hyper(op, 'beta1', o.beta1 ?? 0.9, 0, below1),
    hyper(op, 'beta2', o.beta2 ?? 0.999, 0, below1),
    hyper(op, 'eps', o.eps ?? 1e-8, 0),
    hyper(op, 'weightDecay', o.weightDecay ?? 0, 0),
    step,
    flag(op, 'decoupledWeightDecay', o.decoupledWeightDecay),
    flag(op, 'maximize', o.maximize),
  ];
  runInto(op, [param, g, m, v], [], attrs);
  recordOp(op, [param, g, m, v], [param, m, v]);
  return param;
}
