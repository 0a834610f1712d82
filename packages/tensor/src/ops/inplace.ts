import { checkRepresentable, type DType, dtypeKind } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { broadcastShapes, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { computeBinary, computeDType, SPECS } from './binary';
import { kernelInput } from './broadcast';
import { checkOperand, type Operand, resultType } from './operand';
import { CLAMP, checkIntBounds, clampAttrs, computeUnary } from './unary';

/** PyTorch's canCast: a result may be stored into a tensor of the same or a wider kind only. */
function checkStorable(op: string, result: DType, target: DType): void {
  if (dtypeKind(result) > dtypeKind(target)) {
    throw new DTypeError(op, `a result castable to ${target}`, result);
  }
}

function checkBroadcastsTo(op: string, self: Tensor, other: Operand): void {
  if (other instanceof Tensor && !sameShape(broadcastShapes(op, self.shape, other.shape), self.shape)) {
    throw new ShapeError(op, `a shape that broadcasts to ${JSON.stringify(self.shape)}`, other.shape);
  }
}

/**
 * Writing through an expanded view (stride 0 on a dim of size > 1) would write one element several
 * times, in an order that depends on threading: refused, as in PyTorch.
 */
function checkWritable(op: string, self: Tensor): void {
  if (self.shape.some((s, d) => s > 1 && self.strides[d] === 0)) {
    throw new ArgumentError(
      op,
      'self',
      'a tensor whose elements do not share memory (clone() an expanded view first)',
      `strides ${JSON.stringify(self.strides)}`,
    );
  }
}

/** The first and last element offsets a view touches, or null when empty. */
function span(t: Tensor): [number, number] | null {
  if (t.numel === 0) return null;
  let last = t.offset;
  for (let d = 0; d < t.ndim; d++) last += (t.shape[d]! - 1) * t.strides[d]!;
  return [t.offset, last];
}

/**
 * An input that shares memory with self without being exactly self would be read after some of its
 * elements were overwritten: refused, as in PyTorch (clone() it first).
 */
function checkNoPartialOverlap(op: string, self: Tensor, other: Operand): void {
  if (!(other instanceof Tensor) || other.storage !== self.storage) return;
  const same =
    other.offset === self.offset &&
    sameShape(other.shape, self.shape) &&
    sameShape(other.strides, self.strides);
  if (same) return;
  const a = span(self);
  const b = span(other);
  if (a !== null && b !== null && a[0] <= b[1] && b[0] <= a[1]) {
    throw new ArgumentError(
      op,
      'other',
      'a tensor that does not partially overlap self in memory (clone() it first)',
      'a view of the same memory',
    );
  }
}

function binaryInPlace<T extends Tensor>(op: string, self: T, other: Operand): T {
  const name = `${op}_`;
  self.assertLive(name);
  other = checkOperand(name, 'other', other);
  checkBroadcastsTo(name, self, other);
  const spec = SPECS[op]!;
  const resultDType = computeDType(name, self, other, spec);
  checkStorable(name, resultDType, self.dtype);
  checkWritable(name, self);
  checkNoPartialOverlap(name, self, other);
  if (resultDType === self.dtype) {
    computeBinary(op, self, other, spec, self);
  } else {
    // Compute in the wider dtype and round once into self (no double rounding through self's dtype).
    const tmp = computeBinary(op, self, other, spec);
    try {
      runKernel('cast', [tmp, self]);
    } finally {
      tmp.dispose();
    }
  }
  recordOp(
    name,
    other instanceof Tensor ? [self, other] : [self],
    [self],
    other instanceof Tensor ? {} : { other },
  );
  return self;
}

/** self += other, broadcasting other; a float16 self with a float32 other is computed in float32 and rounded once. */
export const add_ = <T extends Tensor>(self: T, other: Operand): T => binaryInPlace('add', self, other);
export const sub_ = <T extends Tensor>(self: T, other: Operand): T => binaryInPlace('sub', self, other);
export const mul_ = <T extends Tensor>(self: T, other: Operand): T => binaryInPlace('mul', self, other);
/** True division in place: an integer self throws (the quotient is float). */
export const div_ = <T extends Tensor>(self: T, other: Operand): T => binaryInPlace('div', self, other);

/** Copies src into self, broadcasting and casting (exact rounding) to self's dtype, from any device. */
export function copy_<T extends Tensor>(self: T, src: Operand): T {
  self.assertLive('copy_');
  src = checkOperand('copy_', 'src', src);
  if (!(src instanceof Tensor)) return fill_(self, src);
  checkBroadcastsTo('copy_', self, src);
  checkWritable('copy_', self);
  checkNoPartialOverlap('copy_', self, src);
  // Across devices (as torch's copy_): the source moves to self's device first, so loading host values
  // into a cuda parameter is one call.
  const local = src.device === self.device ? src : src.to(self.device);
  const view = kernelInput(local, self.shape, local.dtype);
  try {
    runKernel('cast', [view, self]);
  } finally {
    view.dispose();
    if (local !== src) local.dispose();
  }
  recordOp('copy_', [self, src], [self]);
  return self;
}

/** Sets every element to value, rounded once to self's dtype (an expanded self is allowed: one value). */
export function fill_<T extends Tensor>(self: T, value: number | boolean): T {
  self.assertLive('fill_');
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new ArgumentError('fill_', 'value', 'a number', value);
  checkRepresentable('fill_', value, self.dtype);
  runKernel('fill', [self], [Number(value)]);
  recordOp('fill_', [self], [self], { value });
  return self;
}

/** clamp in place; the bounds must not widen self's dtype (an int32 self with a bound of 2.5 throws). */
export function clamp_<T extends Tensor>(self: T, min?: number | null, max?: number | null): T {
  self.assertLive('clamp_');
  const attrs = clampAttrs('clamp_', min, max);
  checkStorable(
    'clamp_',
    resultType([self, ...[min, max].filter((v): v is number => typeof v === 'number')]),
    self.dtype,
  );
  checkIntBounds('clamp_', self.dtype, min, max);
  checkWritable('clamp_', self);
  const tmp = computeUnary('clamp', self, CLAMP, attrs, self.dtype);
  try {
    runKernel('cast', [tmp, self]);
  } finally {
    tmp.dispose();
  }
  recordOp('clamp_', [self], [self], { min, max });
  return self;
}
