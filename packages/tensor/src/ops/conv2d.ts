import type { DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, DTypeError, fmt, ShapeError } from '../errors';
import { Tensor } from '../tensor';
import { kernelInput } from './broadcast';
import { resultType, sameDevice } from './operand';
import { sum } from './reduce';

/**
 * 2-d convolution (NCHW) with PyTorch's `torch.nn.functional.conv2d` semantics, and its two
 * gradients, on the `conv2d*` kernels (kernels/cpu/conv2d*.cc): GEMMs over blocks of the im2col
 * matrix, so scratch memory stays bounded whatever the batch. float16 and bfloat16 accumulate in
 * float32 and round once; float64 (for gradient checks) accumulates in float64. Inputs are read
 * through their strides (no copy for transposed or sliced views; only a dtype promotion copies).
 */

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Step between output positions, per spatial dim (default 1). */
  stride?: Pair;
  /** Zeros added on both sides of each spatial dim (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups: input and output channels are split into this many independent convolutions. */
  groups?: number;
}

interface Params {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

const CONV_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

function checkTensor(op: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new ArgumentError(op, name, 'a Tensor', v);
  return v.assertLive(op);
}

function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  const ok =
    Array.isArray(p) && p.length === 2 && p.every((x) => Number.isSafeInteger(x) && (x as number) >= min);
  if (!ok) {
    const what = min > 0 ? 'a positive integer' : 'a non-negative integer';
    throw new ArgumentError(op, name, `${what} or a pair of them`, v);
  }
  return [p[0] as number, p[1] as number];
}

function params(op: string, options: Conv2dOptions | undefined): Params {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError(op, 'options', 'an object { stride?, padding?, dilation?, groups? }', options);
  }
  const groups = options.groups ?? 1;
  if (!Number.isSafeInteger(groups) || groups < 1) {
    throw new ArgumentError(op, 'groups', 'a positive integer', groups);
  }
  return {
    stride: pair(op, 'stride', options.stride, 1, 1),
    padding: pair(op, 'padding', options.padding, 0, 0),
    dilation: pair(op, 'dilation', options.dilation, 1, 1),
    groups,
  };
}

function checkShape(op: string, name: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new ArgumentError(op, name, 'a shape of 4 non-negative integers', shape);
  }
  return shape as number[];
}

function rank4(op: string, name: string, t: Tensor, layout: string): void {
  if (t.ndim !== 4) throw new ShapeError(op, `a 4-d ${name} ${layout}`, `${name} ${fmt(t.shape)}`, 'rank of');
}

/**
 * Checks the input and weight shapes against each other and the options, and returns the output
 * shape [N, CO, OH, OW].
 */
function outputShape(op: string, x: readonly number[], w: readonly number[], p: Params): number[] {
  const [n, c, h, wd] = x as [number, number, number, number];
  const [co, cg, kh, kw] = w as [number, number, number, number];
  if (c % p.groups !== 0 || co % p.groups !== 0) {
    throw new ArgumentError(
      op,
      'groups',
      `a divisor of the input channels ${c} and output channels ${co}`,
      p.groups,
    );
  }
  if (cg * p.groups !== c) {
    throw new ShapeError(
      op,
      `x.shape[1] = ${cg * p.groups} (weight.shape[1] = ${cg} times groups = ${p.groups})`,
      `x ${fmt(x)}`,
      'input channels',
    );
  }
  const eh = (kh - 1) * p.dilation[0] + 1;
  const ew = (kw - 1) * p.dilation[1] + 1;
  const ph = h + 2 * p.padding[0];
  const pw = wd + 2 * p.padding[1];
  if (kh < 1 || kw < 1 || eh > ph || ew > pw) {
    throw new ShapeError(
      op,
      `a (dilated) kernel of at least [1, 1] and at most the padded input [${ph}, ${pw}]`,
      `[${eh}, ${ew}] (weight ${fmt(w)})`,
      'kernel size',
    );
  }
  return [n, co, Math.floor((ph - eh) / p.stride[0]) + 1, Math.floor((pw - ew) / p.stride[1]) + 1];
}

function attrs(p: Params): number[] {
  return [...p.stride, ...p.padding, ...p.dilation, p.groups];
}

function computeDType(op: string, tensors: readonly Tensor[]): DType {
  sameDevice(op, tensors);
  const dtype = resultType(tensors);
  if (!CONV_DTYPES.includes(dtype)) throw new DTypeError(op, CONV_DTYPES, dtype);
  return dtype;
}

/** Runs `kernel` on the inputs (cast to `dtype`, no copy when they have it) into a new tensor. */
function run(
  kernel: string,
  inputs: readonly Tensor[],
  dtype: DType,
  shape: readonly number[],
  p: Params,
): Tensor {
  const result = Tensor.empty(shape, dtype, inputs[0]!.device);
  const cast: Tensor[] = [];
  try {
    for (const t of inputs) cast.push(kernelInput(t, t.shape, dtype));
    runKernel(kernel, [...cast, result], attrs(p));
  } catch (e) {
    result.dispose();
    throw e;
  } finally {
    for (const t of cast) t.dispose();
  }
  return result;
}

/**
 * `torch.nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups)`: x [N, C, H, W],
 * weight [CO, C / groups, KH, KW], bias [CO]; the result is [N, CO, OH, OW] with
 * OH = floor((H + 2 padding - dilation (KH - 1) - 1) / stride) + 1 (and likewise OW). The bias is added
 * to the float32 accumulator before the one rounding.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  x = checkTensor(op, 'x', x);
  weight = checkTensor(op, 'weight', weight);
  const b = bias === undefined || bias === null ? undefined : checkTensor(op, 'bias', bias);
  const p = params(op, options);
  rank4(op, 'x', x, '[N, C, H, W]');
  rank4(op, 'weight', weight, '[CO, C / groups, KH, KW]');
  const shape = outputShape(op, x.shape, weight.shape, p);
  if (b !== undefined && !(b.ndim === 1 && b.shape[0] === shape[1])) {
    throw new ShapeError(op, `bias [${shape[1]}] for weight ${fmt(weight.shape)}`, `bias ${fmt(b.shape)}`);
  }
  const inputs = b === undefined ? [x, weight] : [x, weight, b];
  const result = run(op, inputs, computeDType(op, inputs), shape, p);
  recordOp(op, inputs, [result], { ...p, bias: b !== undefined });
  return result;
}

/**
 * The gradient of conv2d with respect to its input x of shape `inputShape` (needed because a strided
 * convolution maps several input sizes to one output size), given the gradient of its output.
 */
export function conv2dBackwardInput(
  gradOutput: Tensor,
  weight: Tensor,
  inputShape: readonly number[],
  options?: Conv2dOptions,
): Tensor {
  const op = 'conv2d_backward_input';
  gradOutput = checkTensor(op, 'gradOutput', gradOutput);
  weight = checkTensor(op, 'weight', weight);
  const xShape = checkShape(op, 'inputShape', inputShape);
  const p = params(op, options);
  rank4(op, 'gradOutput', gradOutput, '[N, CO, OH, OW]');
  rank4(op, 'weight', weight, '[CO, C / groups, KH, KW]');
  const yShape = outputShape(op, xShape, weight.shape, p);
  if (!yShape.every((s, i) => s === gradOutput.shape[i])) {
    throw new ShapeError(op, yShape, `gradOutput ${fmt(gradOutput.shape)}`, 'gradOutput shape');
  }
  const inputs = [gradOutput, weight];
  return run(op, inputs, computeDType(op, inputs), xShape, p);
}

/** The gradient of conv2d with respect to its weight of shape `weightShape`, given x and the output gradient. */
export function conv2dBackwardWeight(
  gradOutput: Tensor,
  x: Tensor,
  weightShape: readonly number[],
  options?: Conv2dOptions,
): Tensor {
  const op = 'conv2d_backward_weight';
  gradOutput = checkTensor(op, 'gradOutput', gradOutput);
  x = checkTensor(op, 'x', x);
  const wShape = checkShape(op, 'weightShape', weightShape);
  const p = params(op, options);
  rank4(op, 'gradOutput', gradOutput, '[N, CO, OH, OW]');
  rank4(op, 'x', x, '[N, C, H, W]');
  const yShape = outputShape(op, x.shape, wShape, p);
  if (!yShape.every((s, i) => s === gradOutput.shape[i])) {
    throw new ShapeError(op, yShape, `gradOutput ${fmt(gradOutput.shape)}`, 'gradOutput shape');
  }
  const inputs = [gradOutput, x];
  return run(op, inputs, computeDType(op, inputs), wShape, p);
}

/** The gradient of conv2d with respect to its bias: the output gradient summed over N, OH and OW. */
export function conv2dBackwardBias(gradOutput: Tensor): Tensor {
  const op = 'conv2d_backward_bias';
  gradOutput = checkTensor(op, 'gradOutput', gradOutput);
  rank4(op, 'gradOutput', gradOutput, '[N, CO, OH, OW]');
  return sum(gradOutput, [0, 2, 3]);
}
