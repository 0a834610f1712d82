import { DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, ShapeError } from '../errors';
import { normalizeAxes, normalizeAxis } from '../shape';
import { Tensor } from '../tensor';

type Axes = number | readonly number[] | undefined;

function checkTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, 'x', 'a Tensor', x);
  return x.assertLive(op);
}

/**
 * @internal Runs reduction kernel `op` over `axes` of x (every axis when undefined; an empty list
 * reduces nothing, as in NumPy). The input is permuted (a view, no copy) so the reduced dims come
 * last; the kernel reduces its trailing attrs[0] dims into a contiguous output. Half inputs
 * accumulate in float32 and round once, float32 and float64 in their own type, int32/bool exactly.
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
  checkTensor(op, x);
  if (typeof keepdim !== 'boolean') throw new ArgumentError(op, 'keepdim', 'a boolean', keepdim);
  const axes = normalizeAxes(op, axis, x.ndim);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  if (requireNonEmpty && axes.some((a) => x.shape[a] === 0)) {
    throw new ShapeError(op, 'a non-empty reduction extent', x.shape, 'input shape');
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

/** Sum over `axis` (all axes when omitted). bool and int32 sum to int32 (wrapping on overflow). */
export const sum = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  reduceOp('sum', x, axis, keepdim, sumOut);
/**
 * Mean over `axis`. int32/bool inputs give float32 (PyTorch refuses them): summed exactly, divided in
 * float64, rounded once. The mean of nothing is NaN.
 */
export const mean = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  reduceOp('mean', x, axis, keepdim, floatOut);
/** Maximum over `axis`; NaN propagates. An empty reduction extent is an error. */
export const max = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  reduceOp('max', x, axis, keepdim, same, [], true);
/** Minimum over `axis`; NaN propagates. An empty reduction extent is an error. */
export const min = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  reduceOp('min', x, axis, keepdim, same, [], true);

/**
 * Index (int32) of the maximum along `axis`, the first one on ties; a NaN counts as the maximum.
 * Without an axis, the index into the flattened tensor.
 */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  checkTensor('argmax', x);
  // Without an axis the kernel reduces every dim in row-major order (no flattening copy), which is
  // the flat index.
  const axes = axis === undefined ? undefined : [normalizeAxis('argmax', axis, x.ndim)];
  return reduceOp('argmax', x, axes, keepdim, () => 'int32', [], true);
}

/**
 * Variance over `axis` with Bessel's correction by default (`correction: 1`, PyTorch's `unbiased`),
 * computed in two passes (mean, then squared deviations) in float64, or float32 for half inputs.
 * NaN when the count does not exceed the correction (PyTorch gives inf there unless every deviation
 * is 0). int32/bool inputs give float32.
 */
export function variance(
  x: Tensor,
  axis?: Axes,
  options: { correction?: number; keepdim?: boolean } = {},
): Tensor {
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError('var', 'options', 'an object { correction?, keepdim? }', options);
  }
  const correction = options.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new ArgumentError('var', 'correction', 'a non-negative number', correction);
  }
  return reduceOp('var', x, axis, options.keepdim ?? false, floatOut, [correction]);
}

/** True when every element is finite (no inf, no NaN): one pass over strided memory, no copy. */
export function allFinite(x: Tensor): boolean {
  checkTensor('allFinite', x);
  const flag = Tensor.empty([], 'bool', x.device);
  try {
    runKernel('all_finite', [x, flag], [x.ndim]);
    return flag.item() as boolean;
  } finally {
    flag.dispose();
  }
}
