import { DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, ShapeError } from '../errors';
import { normalizeAxes, normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { checkOperand } from './operand';

type Axes = number | readonly number[] | undefined;

/**
 * @internal Runs reduction kernel `op` over `axes` of x. The input is permuted (a view, no copy) so
 * the reduced dims come last; the kernel reduces its trailing attrs[0] dims into a contiguous output.
 * Half inputs accumulate in float32, float32 and float64 in their own type.
 */
function reduceOp(
  op: string,
  x: Tensor,
  axis: Axes,
  keepdim: boolean,
  outDtype: (d: DType) => DType,
  extra: number[] = [],
  requireNonEmpty = false,
): Tensor {
  checkOperand(op, 'x', x);
  if (typeof keepdim !== 'boolean') throw new ArgumentError(op, 'keepdim', 'a boolean', keepdim);
  const axes = normalizeAxes(op, axis, x.ndim);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  if (requireNonEmpty && axes.some((a) => x.shape[a] === 0)) {
    throw new ShapeError(op, 'a non-empty reduction extent', x.shape, 'input shape');
  }
  if (requireNonEmpty && x.numel === 0 && axes.length === 0 && x.ndim === 0) {
    throw new ShapeError(op, 'a non-empty tensor', x.shape, 'input shape');
  }
  const order = [...kept, ...axes];
  const view = new Tensor(
    x.storage,
    order.map((d) => x.shape[d]!),
    x.dtype,
    order.map((d) => x.strides[d]!),
    x.offset,
    x.device,
  );
  const shape = kept.map((d) => x.shape[d]!);
  const out = Tensor.empty(shape, outDtype(x.dtype), x.device);
  try {
    runKernel(op, [view, out], [axes.length, ...extra]);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    view.dispose();
  }
  let result = out;
  if (keepdim) {
    const full = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
    result = new Tensor(out.storage, full, out.dtype, undefined, 0, out.device);
    out.dispose();
  }
  recordOp(op, [x], [result], { axes, keepdim, extra });
  return result;
}

const floatOut = (d: DType): DType => (DTYPES[d].isFloat ? d : 'float32');
const sumOut = (d: DType): DType => (d === 'bool' ? 'int32' : d);
const same = (d: DType): DType => d;

/** Sum over `axis` (all axes when omitted). bool and int32 sum to int32. */
export const sum = (x: Tensor, axis?: Axes, keepdim = false): Tensor => reduceOp('sum', x, axis, keepdim, sumOut);
/** Mean over `axis`; integer inputs give float32. The mean of nothing is NaN. */
export const mean = (x: Tensor, axis?: Axes, keepdim = false): Tensor => reduceOp('mean', x, axis, keepdim, floatOut);
/** Maximum over `axis`; NaN propagates. */
export const max = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  reduceOp('max', x, axis, keepdim, same, [], true);
export const min = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  reduceOp('min', x, axis, keepdim, same, [], true);

/**
 * Index (int32) of the maximum along `axis`, the first one on ties; a NaN counts as the maximum.
 * Without an axis, the index into the flattened tensor.
 */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  checkOperand('argmax', 'x', x);
  if (axis !== undefined) {
    const a = normalizeAxis('argmax', axis, x.ndim);
    return reduceOp('argmax', x, x.ndim === 0 ? [] : [a], keepdim, () => 'int32', [], true);
  }
  const flat = x.reshape([-1]);
  try {
    const r = reduceOp('argmax', flat, [0], false, () => 'int32', [], true);
    if (!keepdim) return r;
    const shaped = r.reshape(x.shape.map(() => 1));
    r.dispose();
    return shaped;
  } finally {
    flat.dispose();
  }
}

/**
 * Variance over `axis` with Bessel's correction by default (`correction: 1`, PyTorch's `unbiased`);
 * NaN when the count does not exceed the correction.
 */
export function variance(
  x: Tensor,
  axis?: Axes,
  options: { correction?: number; keepdim?: boolean } = {},
): Tensor {
  const correction = options.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new ArgumentError('var', 'correction', 'a non-negative number', correction);
  }
  return reduceOp('var', x, axis, options.keepdim ?? false, floatOut, [correction]);
}

/** True when every element is finite (no inf, no NaN): one pass over strided memory, no copy. */
export function allFinite(x: Tensor): boolean {
  checkOperand('allFinite', 'x', x);
  const flag = Tensor.empty([], 'bool', x.device);
  try {
    runKernel('all_finite', [x, flag], [x.ndim]);
    return flag.item() as boolean;
  } finally {
    flag.dispose();
  }
}
