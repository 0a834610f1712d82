import { recordOp } from '../engine';
import { ArgumentError } from '../errors';
import { reserve } from '../random';
import { Tensor } from '../tensor';
import { checkFloatArg, checkSameDType, checkShapeOf, checkTensorArg, runInto } from './nn-args';

export interface DropoutResult {
  output: Tensor;
  /** bool, true where the element was kept; null when not training (nothing was dropped). */
  mask: Tensor | null;
}

function checkP(op: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new ArgumentError(op, 'p', 'a number in [0, 1)', p);
  return p;
}

/**
 * Zeroes each element with probability p and scales the kept ones by 1 / (1 - p), in the input's
 * dtype (computed in float32 for half inputs, rounded once). The mask comes from the global generator
 * (reproducible under manualSeed, independent of the thread count). Not training: the input itself,
 * as a new view, and no mask. p must be in [0, 1); p = 0 keeps everything.
 */
export function dropout(x: Tensor, p = 0.5, training = true): DropoutResult {
  const op = 'dropout';
  checkFloatArg(op, 'input', x);
  checkP(op, p);
  if (typeof training !== 'boolean') throw new ArgumentError(op, 'training', 'a boolean', training);
  if (!training) {
    const output = new Tensor(x.storage, x.shape, x.dtype, x.strides, x.offset, x.device);
    recordOp(op, [x], [output], { p, training });
    return { output, mask: null };
  }
  const output = Tensor.empty(x.shape, x.dtype, x.device);
  const mask = Tensor.empty(x.shape, 'bool', x.device);
  // Four elements per Philox block.
  const [seed, offset] = reserve(Math.ceil(x.numel / 4));
  runInto(op, [x], [output, mask], [p, seed, offset]);
  recordOp(op, [x], [output, mask], { p, training });
  return { output, mask };
}

/** The gradient of dropout: gradOut * mask / (1 - p), with the forward's mask and p. */
export function dropoutBackward(gradOut: Tensor, mask: Tensor, p: number): Tensor {
  const op = 'dropout_backward';
  checkFloatArg(op, 'gradOut', gradOut);
  checkTensorArg(op, 'mask', mask);
  checkSameDType(op, 'mask', mask, 'bool');
  checkShapeOf(op, 'mask', mask, gradOut.shape);
  checkP(op, p);
  const gradIn = Tensor.empty(gradOut.shape, gradOut.dtype, gradOut.device);
  runInto(op, [gradOut, mask], [gradIn], [1 / (1 - p)]);
  return gradIn;
}
