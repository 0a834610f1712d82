import { recordOp } from '../engine';
import { ArgumentError, ShapeError } from '../errors';
import { Tensor } from '../tensor';
import { checkFloatArg, checkSameDType, checkShapeOf, checkTensorArg, runInto } from './nn-args';

export interface BatchNormOptions {
  /** Per-channel scale (C); omitted for affine=false. Any float dtype, float32 under the fp16 policy. */
  weight?: Tensor | null;
  /** Per-channel shift (C). */
  bias?: Tensor | null;
  /** Running statistics (C), updated in place when training; both or neither. */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Batch statistics (true) or the running ones (false, the default as in F.batch_norm). */
  training?: boolean;
  /** running = (1 - momentum) * running + momentum * stat (default 0.1). */
  momentum?: number;
  eps?: number;
}

export interface BatchNormResult {
  output: Tensor;
  /** The per-channel mean used (float32; float64 for float64 inputs). */
  saveMean: Tensor;
  /** 1 / sqrt(var + eps) used: the batch's biased variance when training, the running one otherwise. */
  saveInvstd: Tensor;
}

const statDtype = (x: Tensor): 'float32' | 'float64' => (x.dtype === 'float64' ? 'float64' : 'float32');

function checkInput(op: string, x: Tensor): number {
  checkFloatArg(op, 'input', x);
  if (x.ndim < 2) throw new ShapeError(op, 'at least 2 dims (N, C, *)', x.shape, 'input of');
  return x.shape[1]!;
}

function checkParam(op: string, name: string, p: unknown, c: number): Tensor | null {
  if (p === undefined || p === null) return null;
  const t = checkFloatArg(op, name, p);
  if (t.ndim !== 1 || t.shape[0] !== c) {
    throw new ShapeError(op, [c], t.shape, `${name} shape (one value per channel of the input)`);
  }
  return t;
}

function checkFlag(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ArgumentError(op, name, 'a boolean', v);
  return v;
}

/**
 * Batch normalisation of (N, C, *) inputs (BatchNorm1d's (N, C) and (N, C, L), BatchNorm2d's (N, C, H, W)),
 * as PyTorch's native_batch_norm. Statistics accumulate in float64; the input may be float16/bfloat16
 * with float32 weight, bias and running statistics (the fp16 policy), and the output has the input's
 * dtype, rounded once.
 */
export function batchNorm(x: Tensor, options: BatchNormOptions = {}): BatchNormResult {
  const op = 'batch_norm';
  const c = checkInput(op, x);
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(op, 'options', 'an object', options);
  const weight = checkParam(op, 'weight', options.weight, c);
  const bias = checkParam(op, 'bias', options.bias, c);
  const runningMean = checkParam(op, 'runningMean', options.runningMean, c);
  const runningVar = checkParam(op, 'runningVar', options.runningVar, c);
  if ((runningMean === null) !== (runningVar === null)) {
    throw new ArgumentError(op, 'runningMean and runningVar', 'both given or both omitted', [
      runningMean === null ? 'omitted' : 'given',
      runningVar === null ? 'omitted' : 'given',
    ]);
  }
  const training = checkFlag(op, 'training', options.training, false);
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  if (typeof momentum !== 'number' || !Number.isFinite(momentum)) {
    throw new ArgumentError(op, 'momentum', 'a finite number', momentum);
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ArgumentError(op, 'eps', 'a finite number >= 0', eps);
  }
  const hasRunning = runningMean !== null;
  const count = c === 0 ? 0 : x.numel / c;
  if ((training || !hasRunning) && x.numel > 0 && count < 2) {
    throw new ShapeError(op, 'more than 1 value per channel when training', x.shape, 'input shape');
  }
  const output = Tensor.empty(x.shape, x.dtype, x.device);
  const saveMean = Tensor.empty([c], statDtype(x), x.device);
  const saveInvstd = Tensor.empty([c], statDtype(x), x.device);
  const inputs = [x, weight, bias, runningMean, runningVar].filter((t): t is Tensor => t !== null);
  runInto(
    op,
    inputs,
    [output, saveMean, saveInvstd],
    [training ? 1 : 0, momentum, eps, weight ? 1 : 0, bias ? 1 : 0, hasRunning ? 1 : 0],
  );
  recordOp(
    op,
    [x, weight, bias].filter((t): t is Tensor => t !== null),
    [output, saveMean, saveInvstd],
    {
      training,
      momentum,
      eps,
      hasWeight: weight !== null,
      hasBias: bias !== null,
    },
  );
  return { output, saveMean, saveInvstd };
}

export interface BatchNormBackwardResult {
  gradInput: Tensor;
  /** sum(gradOut * (x - mean) * invstd) per channel, in the weight's dtype (float32 without a weight). */
  gradWeight: Tensor;
  /** sum(gradOut) per channel, in the weight's dtype (float32 without a weight). */
  gradBias: Tensor;
}

/**
 * The gradients of batchNorm from its saved mean and invstd, as PyTorch's native_batch_norm_backward.
 * `training` must match the forward: in eval mode the statistics are constants, so gradInput is
 * gradOut * invstd * weight.
 */
export function batchNormBackward(
  gradOut: Tensor,
  x: Tensor,
  saveMean: Tensor,
  saveInvstd: Tensor,
  options: { weight?: Tensor | null; training?: boolean } = {},
): BatchNormBackwardResult {
  const op = 'batch_norm_backward';
  const c = checkInput(op, x);
  checkFloatArg(op, 'gradOut', gradOut);
  checkSameDType(op, 'gradOut', gradOut, x.dtype);
  checkShapeOf(op, 'gradOut', gradOut, x.shape);
  checkTensorArg(op, 'saveMean', saveMean);
  checkParam(op, 'saveMean', saveMean, c);
  checkParam(op, 'saveInvstd', saveInvstd, c);
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(op, 'options', 'an object', options);
  const weight = checkParam(op, 'weight', options.weight, c);
  const training = checkFlag(op, 'training', options.training, false);
  const paramDtype = weight?.dtype ?? statDtype(x);
  const gradInput = Tensor.empty(x.shape, x.dtype, x.device);
  const gradWeight = Tensor.empty([c], paramDtype, x.device);
  const gradBias = Tensor.empty([c], paramDtype, x.device);
  const inputs = [gradOut, x, weight, saveMean, saveInvstd].filter((t): t is Tensor => t !== null);
  runInto(op, inputs, [gradInput, gradWeight, gradBias], [training ? 1 : 0, weight ? 1 : 0]);
  return { gradInput, gradWeight, gradBias };
}
