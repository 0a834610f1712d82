import { recordOp } from '../engine';
import { ArgumentError, BroadcastError, ShapeError } from '../errors';
import { checkShape, contiguousStrides, MAX_DIMS, normalizeAxis, numelOf, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { clone } from './cast';

/** Views share storage with their source: no copy, just a new (shape, strides, offset). */
function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset = x.offset): Tensor {
  return new Tensor(x.storage, shape, x.dtype, strides, offset, x.device);
}

export function isContiguous(x: Tensor): boolean {
  // An empty tensor has no element to misplace (PyTorch's is_contiguous agrees).
  if (x.numel === 0) return true;
  let expected = 1;
  for (let d = x.ndim - 1; d >= 0; d--) {
    if (x.shape[d] !== 1 && x.strides[d] !== expected) return false;
    expected *= x.shape[d]!;
  }
  return true;
}

/** Resolves one -1 in a target shape against the element count. */
function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(op, 'shape', 'an array of integers', shape);
  const free = shape.indexOf(-1);
  if (free !== shape.lastIndexOf(-1)) throw new ArgumentError(op, 'shape', 'at most one -1', shape);
  const known = shape.map((s, i) => (i === free ? 0 : s));
  checkShape(op, known);
  if (free >= 0) {
    const rest = numelOf(known.filter((_, i) => i !== free));
    if (rest === 0 || x.numel % rest !== 0)
      throw new ShapeError(op, `a shape with ${x.numel} elements`, shape);
    known[free] = x.numel / rest;
  }
  if (numelOf(known) !== x.numel) throw new ShapeError(op, `a shape with ${x.numel} elements`, shape);
  return known;
}

/**
 * Strides that express `shape` over the memory of x without a copy, or null when impossible
 * (PyTorch's computeStride: each run of merged source dims must be contiguous).
 */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.ndim === 0) return shape.map(() => 1);
  if (x.numel === 0) return sameShape(x.shape, shape) ? x.strides.slice() : contiguousStrides(shape);
  const out = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = x.strides[x.ndim - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = x.ndim - 1; d >= 0; d--) {
    tensorNumel *= x.shape[d]!;
    const endOfChunk = d === 0 || (x.shape[d - 1] !== 1 && x.strides[d - 1] !== tensorNumel * chunkBase);
    if (endOfChunk) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = x.strides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('view');
  const target = inferShape('view', x, shape);
  const strides = viewStrides(x, target);
  if (strides === null) {
    throw new ShapeError('view', 'a shape compatible with the input strides (use reshape to copy)', target);
  }
  const out = viewOf(x, target, strides);
  recordOp('reshape', [x], [out], { shape: target });
  return out;
}

/** A view when the memory layout allows it, otherwise a contiguous copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('reshape');
  const target = inferShape('reshape', x, shape);
  const strides = viewStrides(x, target);
  let out: Tensor;
  if (strides !== null) {
    out = viewOf(x, target, strides);
  } else {
    const copy = clone(x);
    out = viewOf(copy, target, contiguousStrides(target), 0);
    copy.dispose();
  }
  recordOp('reshape', [x], [out], { shape: target });
  return out;
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  x.assertLive('permute');
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new ShapeError('permute', `a permutation of ${x.ndim} dims`, dims, 'dims');
  }
  const axes = dims.map((d) => normalizeAxis('permute', d, x.ndim));
  if (new Set(axes).size !== axes.length)
    throw new ShapeError('permute', `a permutation of ${x.ndim} dims`, dims, 'dims');
  const out = viewOf(
    x,
    axes.map((a) => x.shape[a]!),
    axes.map((a) => x.strides[a]!),
  );
  recordOp('permute', [x], [out], { dims: axes });
  return out;
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  x.assertLive('transpose');
  const a = normalizeAxis('transpose', dim0, x.ndim);
  const b = normalizeAxis('transpose', dim1, x.ndim);
  // A 0-d tensor accepts dims 0 and -1 (as PyTorch does) and has nothing to swap.
  if (x.ndim === 0) return permute(x, []);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** `x.T`: all dims reversed (PyTorch's `.T`; the plain transpose for a matrix). */
export function reverseDims(x: Tensor): Tensor {
  x.assertLive('T');
  return permute(
    x,
    x.shape.map((_, i) => x.ndim - 1 - i),
  );
}

function checkInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentError(op, name, 'an integer', v);
  return v;
}

/** Python-style slice along one dim: negative indices count from the end, out-of-range ends clamp. */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  x.assertLive('slice');
  if (x.ndim === 0) throw new ShapeError('slice', 'a tensor with at least 1 dim', x.shape);
  const d = normalizeAxis('slice', dim, x.ndim);
  checkInt('slice', 'start', start);
  if (end !== undefined) checkInt('slice', 'end', end);
  if (checkInt('slice', 'step', step) <= 0)
    throw new ArgumentError('slice', 'step', 'a positive integer', step);
  const size = x.shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end ?? size));
  const shape = x.shape.slice();
  const strides = x.strides.slice();
  shape[d] = Math.ceil((e - s) / step);
  // PyTorch's stride * step, unless a huge step on a dim left with <= 1 element (where the stride
  // addresses nothing) would make it too large for the kernels' exact-integer layout.
  const stepped = x.strides[d]! * step;
  strides[d] = shape[d]! > 1 || Number.isSafeInteger(stepped) ? stepped : x.strides[d]!;
  const out = viewOf(x, shape, strides, x.offset + (shape[d]! > 0 ? s * x.strides[d]! : 0));
  recordOp('slice', [x], [out], { dim: d, start: s, end: e, step });
  return out;
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  x.assertLive('narrow');
  if (x.ndim === 0) throw new ShapeError('narrow', 'a tensor with at least 1 dim', x.shape);
  const d = normalizeAxis('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  checkInt('narrow', 'start', start);
  checkInt('narrow', 'length', length);
  const s = start < 0 ? start + size : start;
  if (s < 0 || s > size) throw new ArgumentError('narrow', 'start', `in ${-size}..${size}`, start);
  if (length < 0 || s + length > size)
    throw new ArgumentError('narrow', 'length', `in 0..${size - s}`, length);
  return slice(x, d, s, s + length);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('expand');
  if (!Array.isArray(shape) || shape.length < x.ndim || shape.length > MAX_DIMS) {
    throw new ShapeError('expand', `at least ${x.ndim} dims`, shape);
  }
  const lead = shape.length - x.ndim;
  const outShape = new Array<number>(shape.length);
  const outStrides = new Array<number>(shape.length);
  // Right to left, as PyTorch's inferExpandGeometry: a new leading dim of size 1 gets the stride a
  // contiguous tensor would have there, any dim that is actually repeated gets stride 0.
  for (let i = shape.length - 1; i >= 0; i--) {
    const s: unknown = shape[i];
    const src = i - lead;
    const size = src >= 0 ? x.shape[src]! : 1;
    const target = s === -1 && src >= 0 ? size : s;
    if (typeof target !== 'number' || !Number.isInteger(target) || target < 0) {
      throw new ShapeError('expand', 'non-negative sizes (or -1 for an existing dim)', shape);
    }
    if (size !== target && size !== 1) throw new BroadcastError('expand', x.shape, shape as number[]);
    outShape[i] = target;
    if (size !== target) outStrides[i] = 0;
    else if (src >= 0) outStrides[i] = x.strides[src]!;
    else outStrides[i] = i === shape.length - 1 ? 1 : outShape[i + 1]! * outStrides[i + 1]!;
  }
  // A view costs nothing, but reading or copying one must stay within the sizes every op accepts.
  checkShape('expand', outShape);
  const out = viewOf(x, outShape, outStrides);
  recordOp('expand', [x], [out], { shape: outShape });
  return out;
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  x.assertLive('squeeze');
  let keep: number[];
  if (dim === undefined) {
    keep = x.shape.map((_, i) => i).filter((i) => x.shape[i] !== 1);
  } else {
    const d = normalizeAxis('squeeze', dim, x.ndim);
    keep = x.shape.map((_, i) => i).filter((i) => i !== d || x.shape[i] !== 1);
  }
  const out = viewOf(
    x,
    keep.map((i) => x.shape[i]!),
    keep.map((i) => x.strides[i]!),
  );
  recordOp('reshape', [x], [out], { shape: out.shape });
  return out;
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  x.assertLive('unsqueeze');
  if (x.ndim >= MAX_DIMS) throw new ShapeError('unsqueeze', `at most ${MAX_DIMS - 1} dims`, x.shape);
  const d = normalizeAxis('unsqueeze', dim, x.ndim + 1);
  const shape = x.shape.slice();
  const strides = x.strides.slice();
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d]! * x.shape[d]! : 1);
  const out = viewOf(x, shape, strides);
  recordOp('reshape', [x], [out], { shape });
  return out;
}

/** A contiguous tensor with the same values: a new view when x already is contiguous, else a copy. */
export function contiguous(x: Tensor): Tensor {
  x.assertLive('contiguous');
  if (isContiguous(x)) {
    const out = viewOf(x, x.shape, x.strides);
    recordOp('contiguous', [x], [out]);
    return out;
  }
  return clone(x);
}
