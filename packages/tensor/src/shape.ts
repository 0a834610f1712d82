import { ArgumentError, AxisError, BroadcastError } from './errors';

export const MAX_DIMS = 8;

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides; a size-0 dim counts as 1, as in PyTorch, so strides never collapse to 0. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= Math.max(shape[d]!, 1);
  }
  return strides;
}

/** Validates a user-given shape: integers >= 0, at most MAX_DIMS dims. */
export function checkShape(op: string, shape: unknown, argument = 'shape'): number[] {
  if (!Array.isArray(shape))
    throw new ArgumentError(op, argument, 'an array of non-negative integers', shape);
  if (shape.length > MAX_DIMS) throw new ArgumentError(op, argument, `at most ${MAX_DIMS} dims`, shape);
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
      throw new ArgumentError(op, argument, 'an array of non-negative integers', shape);
    }
  }
  // Size-0 dims count as 1: an empty tensor still gets strides from its other sizes, and those must
  // stay exact integers (for the kernels' index arithmetic too).
  if (numelOf(shape.map((s: number) => Math.max(s, 1))) > 2 ** 46) {
    throw new ArgumentError(
      op,
      argument,
      'a shape of at most 2^46 elements (size-0 dims counted as 1)',
      shape,
    );
  }
  return shape.slice();
}

/** Wraps a possibly negative axis into 0..ndim-1. */
export function normalizeAxis(op: string, axis: unknown, ndim: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw new ArgumentError(op, 'axis', 'an integer', axis);
  const n = Math.max(ndim, 1);
  if (axis < -n || axis >= n) throw new AxisError(op, axis, ndim);
  return axis < 0 ? axis + n : axis;
}

/** Normalised, sorted, duplicate-free axes; `undefined` means every axis. */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined,
  ndim: number,
): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) throw new ArgumentError(op, 'axis', 'an integer or an array of integers', axes);
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== out.length) throw new ArgumentError(op, 'axis', 'distinct axes', axes);
  return out.sort((a, b) => a - b).filter((a) => a < ndim);
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new BroadcastError(op, a, b);
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides that view a tensor of `shape`/`strides` as `target` (stride 0 on broadcast dims). */
export function broadcastStrides(
  shape: readonly number[],
  strides: readonly number[],
  target: readonly number[],
): number[] {
  const lead = target.length - shape.length;
  return target.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]!));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
