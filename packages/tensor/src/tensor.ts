import type { Device } from './device';
import { DTYPES, type DType } from './dtype';
import { DisposedError } from './errors';
import { setTensorCheck, trackTensor, untrackTensor } from './memory';
import * as binary from './ops/binary';
import * as cast from './ops/cast';
import * as inplace from './ops/inplace';
import * as linalg from './ops/matmul';
import type { Operand } from './ops/operand';
import * as read from './ops/read';
import * as reduce from './ops/reduce';
import * as unary from './ops/unary';
import * as views from './ops/views';
import { where } from './ops/where';
import { contiguousStrides, numelOf } from './shape';
import { Storage } from './storage';

export type NestedArray<T> = T | NestedArray<T>[];

/**
 * An n-dimensional array in native memory: a strided view (shape, strides, offset, in elements) of a
 * Storage. Views share storage; `dispose()` (or leaving a `tidy` scope) frees it once no view is left.
 */
export class Tensor {
  /** @internal */
  readonly storage: Storage;
  readonly shape: readonly number[];
  /** Element strides; a stride of 0 marks a broadcast (expanded) dim. */
  readonly strides: readonly number[];
  /** Element offset of the first element in the storage. */
  readonly offset: number;
  readonly dtype: DType;
  readonly device: Device;
  private disposed = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(
    storage: Storage,
    shape: readonly number[],
    dtype: DType,
    strides: readonly number[] = contiguousStrides(shape),
    offset = 0,
    device: Device = 'cpu',
  ) {
    this.storage = storage;
    this.shape = Object.freeze(shape.slice());
    this.strides = Object.freeze(strides.slice());
    this.offset = offset;
    this.dtype = dtype;
    this.device = device;
    trackTensor(this, storage);
  }

  /** @internal A new, uninitialised, contiguous tensor. */
  static empty(shape: readonly number[], dtype: DType, device: Device = 'cpu'): Tensor {
    const bytes = numelOf(shape) * DTYPES[dtype].itemsize;
    return new Tensor(Storage.allocate(bytes, device), shape, dtype, contiguousStrides(shape), 0, device);
  }

  /** Builds a float16/bfloat16 tensor from raw 16-bit patterns. */
  static fromBits(bits: Uint16Array, dtype: 'float16' | 'bfloat16', shape?: readonly number[]): Tensor {
    return read.fromBits(bits, dtype, shape);
  }

  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  get isContiguous(): boolean {
    return views.isContiguous(this);
  }

  /** Frees this tensor's hold on its storage. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    untrackTensor(this, this.storage);
  }

  /** @internal Throws if the tensor was disposed. */
  assertLive(op: string): this {
    if (this.disposed) throw new DisposedError(op);
    return this;
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.disposed ? ', disposed' : ''})`;
  }

  // reading
  toArray(): NestedArray<number | boolean> {
    return read.toArray(this);
  }
  data(): Float32Array | Float64Array | Int32Array | Uint8Array {
    return read.data(this);
  }
  bits(): Uint16Array {
    return read.bits(this);
  }
  item(): number | boolean {
    return read.item(this);
  }

  // conversion
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    return cast.to(this, target);
  }
  float(): Tensor {
    return cast.to(this, 'float32');
  }
  half(): Tensor {
    return cast.to(this, 'float16');
  }
  bfloat16(): Tensor {
    return cast.to(this, 'bfloat16');
  }
  double(): Tensor {
    return cast.to(this, 'float64');
  }
  int(): Tensor {
    return cast.to(this, 'int32');
  }
  bool(): Tensor {
    return cast.to(this, 'bool');
  }
  clone(): Tensor {
    return cast.clone(this);
  }

  // views
  reshape(shape: readonly number[]): Tensor {
    return views.reshape(this, shape);
  }
  view(shape: readonly number[]): Tensor {
    return views.view(this, shape);
  }
  flatten(): Tensor {
    return views.reshape(this, [-1]);
  }
  permute(dims: readonly number[]): Tensor {
    return views.permute(this, dims);
  }
  transpose(dim0 = 0, dim1 = 1): Tensor {
    return views.transpose(this, dim0, dim1);
  }
  /** All dims reversed, as PyTorch's `.T` (for a matrix: the transpose). */
  get T(): Tensor {
    return views.reverseDims(this);
  }
  slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return views.slice(this, dim, start, end, step);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return views.narrow(this, dim, start, length);
  }
  expand(shape: readonly number[]): Tensor {
    return views.expand(this, shape);
  }
  squeeze(dim?: number): Tensor {
    return views.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return views.unsqueeze(this, dim);
  }
  contiguous(): Tensor {
    return views.contiguous(this);
  }

  // elementwise
  add(other: Operand): Tensor {
    return binary.add(this, other);
  }
  sub(other: Operand): Tensor {
    return binary.sub(this, other);
  }
  mul(other: Operand): Tensor {
    return binary.mul(this, other);
  }
  div(other: Operand): Tensor {
    return binary.div(this, other);
  }
  pow(other: Operand): Tensor {
    return binary.pow(this, other);
  }
  maximum(other: Operand): Tensor {
    return binary.maximum(this, other);
  }
  minimum(other: Operand): Tensor {
    return binary.minimum(this, other);
  }
  eq(other: Operand): Tensor {
    return binary.eq(this, other);
  }
  ne(other: Operand): Tensor {
    return binary.ne(this, other);
  }
  lt(other: Operand): Tensor {
    return binary.lt(this, other);
  }
  le(other: Operand): Tensor {
    return binary.le(this, other);
  }
  gt(other: Operand): Tensor {
    return binary.gt(this, other);
  }
  ge(other: Operand): Tensor {
    return binary.ge(this, other);
  }
  neg(): Tensor {
    return unary.neg(this);
  }
  exp(): Tensor {
    return unary.exp(this);
  }
  log(): Tensor {
    return unary.log(this);
  }
  sqrt(): Tensor {
    return unary.sqrt(this);
  }
  rsqrt(): Tensor {
    return unary.rsqrt(this);
  }
  abs(): Tensor {
    return unary.abs(this);
  }
  relu(): Tensor {
    return unary.relu(this);
  }
  sigmoid(): Tensor {
    return unary.sigmoid(this);
  }
  tanh(): Tensor {
    return unary.tanh(this);
  }
  isfinite(): Tensor {
    return unary.isfinite(this);
  }
  isnan(): Tensor {
    return unary.isnan(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return unary.clamp(this, min, max);
  }
  where(condition: Tensor, other: Operand): Tensor {
    return where(condition, this, other);
  }
  matmul(other: Tensor): Tensor {
    return linalg.matmul(this, other);
  }

  // in place
  add_(other: Operand): this {
    return inplace.add_(this, other);
  }
  sub_(other: Operand): this {
    return inplace.sub_(this, other);
  }
  mul_(other: Operand): this {
    return inplace.mul_(this, other);
  }
  div_(other: Operand): this {
    return inplace.div_(this, other);
  }
  copy_(src: Operand): this {
    return inplace.copy_(this, src);
  }
  fill_(value: number | boolean): this {
    return inplace.fill_(this, value);
  }
  zero_(): this {
    return inplace.fill_(this, 0);
  }
  clamp_(min?: number | null, max?: number | null): this {
    return inplace.clamp_(this, min, max);
  }

  // reductions
  sum(axis?: number | readonly number[], keepdim = false): Tensor {
    return reduce.sum(this, axis, keepdim);
  }
  mean(axis?: number | readonly number[], keepdim = false): Tensor {
    return reduce.mean(this, axis, keepdim);
  }
  max(axis?: number | readonly number[], keepdim = false): Tensor {
    return reduce.max(this, axis, keepdim);
  }
  min(axis?: number | readonly number[], keepdim = false): Tensor {
    return reduce.min(this, axis, keepdim);
  }
  argmax(axis?: number, keepdim = false): Tensor {
    return reduce.argmax(this, axis, keepdim);
  }
  var(axis?: number | readonly number[], options?: { correction?: number; keepdim?: boolean }): Tensor {
    return reduce.variance(this, axis, options);
  }
  allFinite(): boolean {
    return reduce.allFinite(this);
  }
}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}
