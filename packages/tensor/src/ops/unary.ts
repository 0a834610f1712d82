import { DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, DTypeError } from '../errors';
import { Tensor } from '../tensor';
import { castTo } from './cast';
import { checkFloatArg, checkSameDType, checkShapeOf, checkTensorArg, runInto } from './nn-args';
import { checkOperand, resultType } from './operand';

/** @internal */
export interface UnarySpec {
  /** Integer and bool inputs are computed (and returned) in float32, as PyTorch does for exp, log, ... */
  floatOnly?: boolean;
  predicate?: boolean;
  refuse?: readonly DType[];
}

/**
 * @internal Runs unary kernel `op` on x into a new contiguous tensor, without recording it. `attrs` are
 * the kernel's attributes (clamp's bounds); `dtype` overrides the compute dtype.
 */
export function computeUnary(
  op: string,
  x: Tensor,
  spec: UnarySpec = {},
  attrs: number[] = [],
  dtype?: DType,
): Tensor {
  checkOperand(op, 'x', x);
  if (!(x instanceof Tensor)) throw new ArgumentError(op, 'x', 'a Tensor', x);
  const compute = dtype ?? (spec.floatOnly && !DTYPES[x.dtype].isFloat ? 'float32' : x.dtype);
  if (spec.refuse?.includes(compute)) {
    throw new DTypeError(
      op,
      Object.keys(DTYPES).filter((d) => !spec.refuse!.includes(d as DType)),
      compute,
    );
  }
  const input = compute === x.dtype ? x : castTo(x, compute);
  const out = Tensor.empty(x.shape, spec.predicate ? 'bool' : compute, x.device);
  try {
    runKernel(op, [input, out], attrs);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (input !== x) input.dispose();
  }
  return out;
}

/** @internal computeUnary, recorded for autograd. */
export function unaryOp(
  op: string,
  x: Tensor,
  spec: UnarySpec = {},
  attrs: number[] = [],
  dtype?: DType,
): Tensor {
  const out = computeUnary(op, x, spec, attrs, dtype);
  recordOp(op, [x], [out], attrs.length > 0 ? { attrs } : {});
  return out;
}

const noBool: UnarySpec = { refuse: ['bool'] };
const floating: UnarySpec = { floatOnly: true };

export const neg = (x: Tensor): Tensor => unaryOp('neg', x, noBool);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x, noBool);
/** max(x, 0); NaN stays NaN. */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x, noBool);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x, floating);
export const log = (x: Tensor): Tensor => unaryOp('log', x, floating);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x, floating);
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x, floating);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x, floating);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x, floating);
export const isfinite = (x: Tensor): Tensor => unaryOp('isfinite', x, { predicate: true });
export const isnan = (x: Tensor): Tensor => unaryOp('isnan', x, { predicate: true });

/** @internal clamp refuses bool. */
export const CLAMP: UnarySpec = { refuse: ['bool'] };

/** @internal The kernel attributes of clamp: [hasMin, min, hasMax, max]. */
export function clampAttrs(op: string, min: unknown, max: unknown): number[] {
  const bound = (name: string, v: unknown): number | null => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number') throw new ArgumentError(op, name, 'a number, null or undefined', v);
    return v;
  };
  const lo = bound('min', min);
  const hi = bound('max', max);
  if (lo === null && hi === null) throw new ArgumentError(op, 'min/max', 'at least one bound', [min, max]);
  return [lo === null ? 0 : 1, lo ?? 0, hi === null ? 0 : 1, hi ?? 0];
}

/**
 * Limits x to [min, max] (either may be omitted). NaN stays NaN and a NaN bound gives NaN; when
 * min > max every element becomes max, as in PyTorch. A fractional bound on an integer tensor gives
 * float32. On float16/bfloat16 the bounds are used in float32, not rounded to the half type first.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const attrs = clampAttrs('clamp', min, max);
  if (!(checkOperand('clamp', 'x', x) instanceof Tensor))
    throw new ArgumentError('clamp', 'x', 'a Tensor', x);
  const dtype = resultType([x, ...[min, max].filter((v): v is number => typeof v === 'number')]);
  checkIntBounds('clamp', dtype, min, max);
  return unaryOp('clamp', x, CLAMP, attrs, dtype);
}

/** @internal Integer bounds of an int32 clamp must fit in int32 (PyTorch refuses them too). */
export function checkIntBounds(op: string, dtype: DType, min: unknown, max: unknown): void {
  if (dtype !== 'int32') return;
  for (const [name, v] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (typeof v === 'number' && !(v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new ArgumentError(op, name, 'a bound in the int32 range (the tensor is int32)', v);
    }
  }
}

/**
 * relu's gradient from its output: gradOut where output > 0 (or NaN, as PyTorch's threshold_backward),
 * else 0, in one pass.
 */
export function reluBackward(gradOut: Tensor, output: Tensor): Tensor {
  const op = 'relu_backward';
  checkFloatArg(op, 'gradOut', gradOut);
  checkTensorArg(op, 'output', output);
  checkSameDType(op, 'output', output, gradOut.dtype);
  checkShapeOf(op, 'output', output, gradOut.shape);
  const gradIn = Tensor.empty(gradOut.shape, gradOut.dtype, gradOut.device);
  runInto(op, [gradOut, output], [gradIn]);
  return gradIn;
}
