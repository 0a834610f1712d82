import { recordOp } from '../engine';
import { ArgumentError, ShapeError } from '../errors';
import { Tensor } from '../tensor';
import {
  checkFloatArg,
  checkInt,
  checkNdim,
  checkSameDType,
  checkShapeOf,
  checkTensorArg,
  pair,
  runInto,
} from './nn-args';

/**
 * 2-D pooling over (N, C, H, W) inputs, as PyTorch's max_pool2d, avg_pool2d and adaptive_avg_pool2d.
 * Any float dtype, any strides; half inputs are summed in float32 and rounded once. Each forward is
 * recorded for autograd; the backward functions are what autograd calls.
 */

export type Size2 = number | readonly [number, number];

export interface MaxPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Size2;
  padding?: Size2;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

interface Geometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
}

function checkBool(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ArgumentError(op, name, 'a boolean', v);
  return v;
}

function geometry(op: string, kernelSize: unknown, opts: unknown, dilation: boolean): Geometry {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(op, 'options', 'an object', opts);
  const o = opts as MaxPool2dOptions & AvgPool2dOptions;
  const kernel = pair(op, 'kernelSize', kernelSize, 1);
  const stride = o.stride === undefined ? kernel : pair(op, 'stride', o.stride, 1);
  const padding = o.padding === undefined ? ([0, 0] as [number, number]) : pair(op, 'padding', o.padding, 0);
  const dil =
    dilation && o.dilation !== undefined ? pair(op, 'dilation', o.dilation, 1) : ([1, 1] as [number, number]);
  if (padding[0] > Math.floor(kernel[0] / 2) || padding[1] > Math.floor(kernel[1] / 2)) {
    throw new ArgumentError(op, 'padding', `at most half the kernel size [${kernel.join(', ')}]`, padding);
  }
  return { kernel, stride, padding, dilation: dil, ceilMode: checkBool(op, 'ceilMode', o.ceilMode, false) };
}

/** PyTorch's pooling_output_shape. */
function outSize(input: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let o = Math.floor((input + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= input + p) o--;
  return o;
}

function pooledShape(op: string, x: Tensor, g: Geometry): number[] {
  checkNdim(op, 'input', x, 4, '(N, C, H, W)');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = outSize(h, g.kernel[0], g.stride[0], g.padding[0], g.dilation[0], g.ceilMode);
  const ow = outSize(w, g.kernel[1], g.stride[1], g.padding[1], g.dilation[1], g.ceilMode);
  if (oh < 1 || ow < 1) {
    const eff = [0, 1].map((i) => g.dilation[i]! * (g.kernel[i]! - 1) + 1);
    throw new ShapeError(
      op,
      `a padded input [H + 2*padH, W + 2*padW] of at least the (dilated) kernel size [${eff.join(', ')}]`,
      [h + 2 * g.padding[0], w + 2 * g.padding[1]],
      'padded input size',
    );
  }
  return [n, c, oh, ow];
}

const maxAttrs = (g: Geometry): number[] => [
  ...g.kernel,
  ...g.stride,
  ...g.padding,
  ...g.dilation,
  g.ceilMode ? 1 : 0,
];

/**
 * Max pooling. Returns the output and the int32 argmax indices (positions h * W + w in each input
 * plane) that maxPool2dBackward needs. NaN propagates; padding never wins.
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: Size2,
  options: MaxPool2dOptions = {},
): { output: Tensor; indices: Tensor } {
  const op = 'max_pool2d';
  checkFloatArg(op, 'input', x);
  const g = geometry(op, kernelSize, options, true);
  const shape = pooledShape(op, x, g);
  const output = Tensor.empty(shape, x.dtype, x.device);
  const indices = Tensor.empty(shape, 'int32', x.device);
  runInto(op, [x], [output, indices], maxAttrs(g));
  recordOp(op, [x], [output, indices], { ...g });
  return { output, indices };
}

/** The gradient of maxPool2d with respect to its input: gradOut scattered (summed) to the argmax positions. */
export function maxPool2dBackward(
  gradOut: Tensor,
  input: Tensor,
  indices: Tensor,
  kernelSize: Size2,
  options: MaxPool2dOptions = {},
): Tensor {
  const op = 'max_pool2d_backward';
  checkFloatArg(op, 'gradOut', gradOut);
  checkFloatArg(op, 'input', input);
  checkSameDType(op, 'gradOut', gradOut, input.dtype);
  checkTensorArg(op, 'indices', indices);
  const g = geometry(op, kernelSize, options, true);
  const shape = pooledShape(op, input, g);
  checkShapeOf(op, 'gradOut', gradOut, shape);
  checkShapeOf(op, 'indices', indices, shape);
  const gradIn = Tensor.empty(input.shape, gradOut.dtype, input.device);
  runInto(op, [gradOut, indices], [gradIn]);
  return gradIn;
}

const avgAttrs = (g: Geometry, includePad: boolean): number[] => [
  ...g.kernel,
  ...g.stride,
  ...g.padding,
  g.ceilMode ? 1 : 0,
  includePad ? 1 : 0,
];

/** Average pooling; the divisor counts the padding unless `countIncludePad: false`. */
export function avgPool2d(x: Tensor, kernelSize: Size2, options: AvgPool2dOptions = {}): Tensor {
  const op = 'avg_pool2d';
  checkFloatArg(op, 'input', x);
  const g = geometry(op, kernelSize, options, false);
  const includePad = checkBool(op, 'countIncludePad', options.countIncludePad, true);
  const out = Tensor.empty(pooledShape(op, x, g), x.dtype, x.device);
  runInto(op, [x], [out], avgAttrs(g, includePad));
  recordOp(op, [x], [out], { ...g, countIncludePad: includePad });
  return out;
}

/** The gradient of avgPool2d with respect to its input. */
export function avgPool2dBackward(
  gradOut: Tensor,
  input: Tensor,
  kernelSize: Size2,
  options: AvgPool2dOptions = {},
): Tensor {
  const op = 'avg_pool2d_backward';
  checkFloatArg(op, 'gradOut', gradOut);
  checkFloatArg(op, 'input', input);
  checkSameDType(op, 'gradOut', gradOut, input.dtype);
  const g = geometry(op, kernelSize, options, false);
  const includePad = checkBool(op, 'countIncludePad', options.countIncludePad, true);
  checkShapeOf(op, 'gradOut', gradOut, pooledShape(op, input, g));
  const gradIn = Tensor.empty(input.shape, gradOut.dtype, input.device);
  runInto(op, [gradOut], [gradIn], avgAttrs(g, includePad));
  return gradIn;
}

/** An output size: a number, or [h, w] where null keeps the input's size. */
export type AdaptiveSize = number | readonly [number | null, number | null];

function adaptiveShape(op: string, x: Tensor, outputSize: unknown): number[] {
  checkNdim(op, 'input', x, 4, '(N, C, H, W)');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  let size: [number, number];
  if (Array.isArray(outputSize) && outputSize.length === 2) {
    size = [
      outputSize[0] === null ? h : checkInt(op, 'outputSize', outputSize[0], 0),
      outputSize[1] === null ? w : checkInt(op, 'outputSize', outputSize[1], 0),
    ];
  } else if (typeof outputSize === 'number') {
    size = [checkInt(op, 'outputSize', outputSize, 0), outputSize];
  } else {
    throw new ArgumentError(op, 'outputSize', 'an integer or a pair [h, w]', outputSize);
  }
  if ((h === 0 || w === 0) && n * c * size[0] * size[1] > 0) {
    throw new ShapeError(op, 'non-empty H and W', x.shape, 'input shape');
  }
  return [n, c, ...size];
}

/** Adaptive average pooling to `outputSize`; window o covers [floor(o*I/O), ceil((o+1)*I/O)). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptive_avg_pool2d';
  checkFloatArg(op, 'input', x);
  const shape = adaptiveShape(op, x, outputSize);
  const out = Tensor.empty(shape, x.dtype, x.device);
  runInto(op, [x], [out]);
  recordOp(op, [x], [out], { outputSize: shape.slice(2) });
  return out;
}

/** The gradient of adaptiveAvgPool2d with respect to its input (the output size is gradOut's). */
export function adaptiveAvgPool2dBackward(gradOut: Tensor, input: Tensor): Tensor {
  const op = 'adaptive_avg_pool2d_backward';
  checkFloatArg(op, 'gradOut', gradOut);
  checkFloatArg(op, 'input', input);
  checkSameDType(op, 'gradOut', gradOut, input.dtype);
  checkNdim(op, 'gradOut', gradOut, 4, '(N, C, H, W)');
  const shape = adaptiveShape(op, input, [gradOut.shape[2]!, gradOut.shape[3]!]);
  checkShapeOf(op, 'gradOut', gradOut, shape);
  const gradIn = Tensor.empty(input.shape, gradOut.dtype, input.device);
  runInto(op, [gradOut], [gradIn]);
  return gradIn;
}
