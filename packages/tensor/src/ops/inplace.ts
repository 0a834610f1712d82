import { DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { broadcastShapes, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { binaryOp } from './binary';
import { kernelInput } from './broadcast';
import { checkOperand, type Operand, resultType } from './operand';
import { clampAttrs, unaryOp } from './unary';

const kindRank = (d: DType) => (d === 'bool' ? 0 : DTYPES[d].isFloat ? 2 : 1);

/** PyTorch's canCast: a result may be stored into a tensor of the same or a wider kind only. */
function checkStorable(op: string, result: DType, target: DType): void {
  if (kindRank(result) > kindRank(target)) {
    throw new DTypeError(op, `a result castable to ${target}`, result);
  }
}

function checkBroadcastsTo(op: string, self: Tensor, other: Operand): void {
  if (other instanceof Tensor && !sameShape(broadcastShapes(op, self.shape, other.shape), self.shape)) {
    throw new ShapeError(op, `a shape that broadcasts to ${JSON.stringify(self.shape)}`, other.shape);
  }
}

/** Writes `value` (already at self's shape) into self, casting when the dtypes differ. */
function assign(self: Tensor, value: Tensor): void {
  runKernel('cast', [value, self]);
}

function binaryInPlace<T extends Tensor>(op: string, self: T, other: Operand, resultDType: DType): T {
  self.assertLive(`${op}_`);
  other = checkOperand(`${op}_`, 'other', other);
  checkBroadcastsTo(`${op}_`, self, other);
  checkStorable(`${op}_`, resultDType, self.dtype);
  if (resultDType === self.dtype) {
    binaryOp(op, self, other, {}, self);
  } else {
    // Compute in the wider dtype and round once into self (no double rounding through self's dtype).
    const tmp = binaryOp(op, self, other);
    assign(self, tmp);
    tmp.dispose();
  }
  recordOp(`${op}_`, other instanceof Tensor ? [self, other] : [self], [self]);
  return self;
}

export const add_ = <T extends Tensor>(self: T, other: Operand): T =>
  binaryInPlace('add', self, other, resultType([self, other]));
export const sub_ = <T extends Tensor>(self: T, other: Operand): T =>
  binaryInPlace('sub', self, other, resultType([self, other]));
export const mul_ = <T extends Tensor>(self: T, other: Operand): T =>
  binaryInPlace('mul', self, other, resultType([self, other]));
export const div_ = <T extends Tensor>(self: T, other: Operand): T => {
  const r = resultType([self, other]);
  return binaryInPlace('div', self, other, DTYPES[r].isFloat ? r : 'float32');
};

/** Copies src into self, broadcasting and casting (exact rounding) to self's dtype. */
export function copy_<T extends Tensor>(self: T, src: Operand): T {
  self.assertLive('copy_');
  src = checkOperand('copy_', 'src', src);
  if (!(src instanceof Tensor)) return fill_(self, src);
  checkBroadcastsTo('copy_', self, src);
  const view = kernelInput(src, self.shape, src.dtype);
  try {
    assign(self, view);
  } finally {
    view.dispose();
  }
  recordOp('copy_', [self, src], [self]);
  return self;
}

export function fill_<T extends Tensor>(self: T, value: number | boolean): T {
  self.assertLive('fill_');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new ArgumentError('fill_', 'value', 'a number', value);
  runKernel('fill', [self], [Number(value)]);
  recordOp('fill_', [self], [self], { value });
  return self;
}

export function clamp_<T extends Tensor>(self: T, min?: number | null, max?: number | null): T {
  self.assertLive('clamp_');
  const attrs = clampAttrs('clamp_', min, max);
  checkStorable('clamp_', resultType([self, ...[min, max].filter((v): v is number => typeof v === 'number')]), self.dtype);
  const tmp = unaryOp('clamp', self, { refuse: ['bool'] }, attrs, self.dtype);
  assign(self, tmp);
  tmp.dispose();
  recordOp('clamp_', [self], [self], { min, max });
  return self;
}
