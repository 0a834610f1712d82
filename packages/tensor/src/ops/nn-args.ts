import { DTYPES, FLOAT_DTYPES } from '../dtype';
import { runKernel } from '../engine';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { sameShape } from '../shape';
import { Tensor } from '../tensor';

/** @internal Argument checks shared by the training-stack ops (pool, batch norm, softmax, losses, dropout). */
export function checkTensorArg(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, name, 'a Tensor', x);
  return x.assertLive(op);
}

/** @internal A float tensor argument (float32, float16, bfloat16 or float64). */
export function checkFloatArg(op: string, name: string, x: unknown): Tensor {
  const t = checkTensorArg(op, name, x);
  if (!DTYPES[t.dtype].isFloat) throw new DTypeError(op, FLOAT_DTYPES, t.dtype);
  return t;
}

/** @internal Checks x has `ndim` dims, naming the layout expected (e.g. '(N, C, H, W)'). */
export function checkNdim(
  op: string,
  name: string,
  x: Tensor,
  ndim: number | readonly number[],
  layout: string,
): void {
  const allowed = typeof ndim === 'number' ? [ndim] : ndim;
  if (!allowed.includes(x.ndim)) {
    throw new ShapeError(op, `${allowed.join(' or ')}-D ${layout}`, x.shape, `${name} of`);
  }
}

/** @internal Checks a tensor's exact shape. */
export function checkShapeOf(op: string, name: string, x: Tensor, shape: readonly number[]): void {
  if (!sameShape(x.shape, shape)) throw new ShapeError(op, shape, x.shape, `${name} shape`);
}

/** @internal An integer in [min, max]. */
export function checkInt(op: string, name: string, v: unknown, min: number, max = 2 ** 30): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentError(op, name, `an integer in [${min}, ${max}]`, v);
  }
  return v;
}

/** @internal A number or an [h, w] pair of integers >= min. */
export function pair(op: string, name: string, v: unknown, min: number): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new ArgumentError(op, name, 'an integer or a pair [h, w]', v);
    return [checkInt(op, name, v[0], min), checkInt(op, name, v[1], min)];
  }
  const n = checkInt(op, name, v, min);
  return [n, n];
}

/** @internal Runs a kernel into freshly allocated outputs, disposing them if the kernel refuses. */
export function runInto(
  name: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  attrs: readonly number[] = [],
): void {
  try {
    runKernel(name, [...inputs, ...outputs], attrs);
  } catch (e) {
    for (const t of outputs) t.dispose();
    throw e;
  }
}

/** @internal A tensor that must have the dtype of another argument (e.g. a gradient and its input). */
export function checkSameDType(op: string, name: string, x: Tensor, dtype: Tensor['dtype']): void {
  if (x.dtype !== dtype) throw new DTypeError(op, dtype, `${x.dtype} (${name})`);
}
