import { checkDevice, type Device } from './device';
import { checkDType, checkRepresentable, DTYPES, type DType } from './dtype';
import { runKernel } from './engine';
import { ArgumentError, DTypeError, ShapeError } from './errors';
import { native } from './native';
import { castTo, toDevice } from './ops/cast';
import { reserve } from './random';
import { checkShape, MAX_DIMS, numelOf } from './shape';
import { Storage } from './storage';
import { type NestedArray, Tensor } from './tensor';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
}

type TypedData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Uint32Array;
export type TensorData = number | boolean | NestedArray<number | boolean> | TypedData;

function options(
  op: string,
  opts: TensorOptions | undefined,
  fallback: DType = 'float32',
): { dtype: DType; device: Device } {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new ArgumentError(op, 'options', '{ dtype?, device? }', opts);
  }
  return {
    dtype: opts?.dtype === undefined ? fallback : checkDType(op, opts.dtype),
    device: checkDevice(op, opts?.device),
  };
}

/** Walks nested arrays: their shape (rectangular or a ShapeError) and flat values. */
function flatten(data: NestedArray<number | boolean>): { shape: number[]; values: (number | boolean)[] } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (shape.length > MAX_DIMS)
      throw new ShapeError('tensor', `at most ${MAX_DIMS} levels of nesting`, shape.length, 'depth');
    if (level.length === 0) break;
  }
  const values: (number | boolean)[] = [];
  const walk = (v: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (Array.isArray(v)) {
        throw new ShapeError(
          'tensor',
          `a number at depth ${d} (ragged nesting)`,
          `an array at data${path.map((i) => `[${i}]`).join('')}`,
          'data',
        );
      }
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ArgumentError(
          'tensor',
          `data${path.map((i) => `[${i}]`).join('')}`,
          'a number or boolean',
          v,
        );
      }
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new ShapeError(
        'tensor',
        `a nested array of length ${shape[d]} at depth ${d}`,
        Array.isArray(v) ? v.length : v,
        'data',
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], d + 1, [...path, i]);
  };
  walk(data, 0, []);
  return { shape, values };
}

/** A native tensor holding host values, in the dtype whose typed array they came in. */
function upload(
  values: Float32Array | Float64Array | Int32Array | Uint8Array,
  dtype: DType,
  shape: number[],
): Tensor {
  const storage = Storage.allocate(values.byteLength);
  native.copyIn(storage.id, 0, values);
  return new Tensor(storage, shape, dtype);
}

/**
 * Creates a tensor from a number, a boolean, nested arrays or a typed array.
 *
 * The dtype defaults to float32 for numbers (JavaScript does not tell 1 from 1.0), bool for booleans,
 * and the array's own type for Float32Array, Float64Array and Int32Array. Values are rounded once,
 * to nearest even, into the target dtype.
 *
 * ```ts
 * const x = tensor([[1, 2], [3, 4]], { dtype: 'float16' });
 * ```
 */
export function tensor(data: TensorData, opts?: TensorOptions & { shape?: readonly number[] }): Tensor {
  let host: Float32Array | Float64Array | Int32Array | Uint8Array;
  let hostDType: DType;
  let shape: number[];
  let inferred: DType;
  if (ArrayBuffer.isView(data)) {
    if (data instanceof Float32Array) [host, hostDType] = [data, 'float32'];
    else if (data instanceof Float64Array) [host, hostDType] = [data, 'float64'];
    else if (data instanceof Int32Array) [host, hostDType] = [data, 'int32'];
    else if (data instanceof Uint8Array && opts?.dtype === 'bool')
      [host, hostDType] = [Uint8Array.from(data, (v) => (v ? 1 : 0)), 'bool'];
    else if (
      data instanceof Int8Array ||
      data instanceof Int16Array ||
      data instanceof Uint8Array ||
      data instanceof Uint16Array ||
      data instanceof Uint32Array
    )
      [host, hostDType] = [Float64Array.from(data as ArrayLike<number>), 'float64'];
    else throw new ArgumentError('tensor', 'data', 'numbers, booleans, nested arrays or a typed array', data);
    shape = [host.length];
    inferred = hostDType === 'float64' && !(data instanceof Float64Array) ? 'float32' : hostDType;
  } else if (typeof data === 'number' || typeof data === 'boolean' || Array.isArray(data)) {
    const flat = flatten(data as NestedArray<number | boolean>);
    shape = flat.shape;
    const allBool = flat.values.length > 0 && flat.values.every((v) => typeof v === 'boolean');
    if (flat.values.some((v) => typeof v === 'boolean') && !allBool) {
      throw new ArgumentError('tensor', 'data', 'all numbers or all booleans', data);
    }
    inferred = allBool ? 'bool' : 'float32';
    if (allBool) [host, hostDType] = [Uint8Array.from(flat.values, (v) => (v ? 1 : 0)), 'bool'];
    else [host, hostDType] = [Float64Array.from(flat.values as number[]), 'float64'];
  } else {
    throw new ArgumentError('tensor', 'data', 'numbers, booleans, nested arrays or a typed array', data);
  }
  const { dtype, device } = options('tensor', opts, inferred);
  if (opts?.shape !== undefined) {
    const target = checkShape('tensor', opts.shape);
    if (numelOf(target) !== host.length)
      throw new ShapeError('tensor', `a shape with ${host.length} elements`, target);
    shape = target;
  }
  // Converted on the host (the reference rounding), then moved: a device sees only the final values.
  const raw = upload(host, hostDType, shape);
  const typed = hostDType === dtype ? raw : castTo(raw, dtype);
  if (typed !== raw) raw.dispose();
  if (device === 'cpu') return typed;
  const moved = toDevice(typed, device);
  typed.dispose();
  return moved;
}

export function full(shape: readonly number[], value: number | boolean, opts?: TensorOptions): Tensor {
  const dims = checkShape('full', shape);
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new ArgumentError('full', 'value', 'a number', value);
  const { dtype, device } = options('full', opts, typeof value === 'boolean' ? 'bool' : 'float32');
  checkRepresentable('full', value, dtype);
  const out = Tensor.empty(dims, dtype, device);
  runKernel('fill', [out], [Number(value)]);
  return out;
}

export const zeros = (shape: readonly number[], opts?: TensorOptions): Tensor => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts?: TensorOptions): Tensor => full(shape, 1, opts);

/**
 * Values from start (inclusive) to end (exclusive) by step: `arange(5)`, `arange(1, 4)`,
 * `arange(0, 1, 0.25)`. Each value is start + i * step computed in float64 and rounded once.
 */
export function arange(start: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  for (const [name, v] of [
    ['start', start],
    ['end', end],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ArgumentError('arange', name, 'a finite number', v);
  }
  const { dtype, device } = options('arange', opts);
  if (dtype === 'bool')
    throw new DTypeError('arange', ['float32', 'float16', 'bfloat16', 'float64', 'int32'], dtype);
  if (step === 0) throw new ArgumentError('arange', 'step', 'a non-zero number', step);
  if ((end - start) / step < 0) {
    throw new ArgumentError(
      'arange',
      'end',
      `on the ${step > 0 ? 'upper' : 'lower'} side of start ${start}`,
      end,
    );
  }
  // As PyTorch: the count comes from the float arguments, an int32 range steps from the truncated
  // start by the truncated step.
  const [first, delta] = dtype === 'int32' ? [Math.trunc(start), Math.trunc(step)] : [start, step];
  if (delta === 0) throw new ArgumentError('arange', 'step', `a step that is non-zero in ${dtype}`, step);
  const n = Math.max(0, Math.ceil((end - start) / step)); // max: an empty descending range gives -0
  const out = Tensor.empty([checkShape('arange', [n])[0]!], dtype, device);
  runKernel('arange', [out], [first, delta]);
  return out;
}

function random(
  op: string,
  kernel: string,
  shape: readonly number[],
  a: number,
  b: number,
  opts?: TensorOptions,
): Tensor {
  const dims = checkShape(op, shape);
  const { dtype, device } = options(op, opts);
  if (!DTYPES[dtype].isFloat) throw new DTypeError(op, ['float32', 'float16', 'bfloat16', 'float64'], dtype);
  const out = Tensor.empty(dims, dtype, device);
  const n = out.numel;
  // Blocks used: see kernels/cpu/random.cc (uniform: 4 values a block, 2 for float64; normal: 2).
  const perBlock = kernel === 'rand_normal' || dtype === 'float64' ? 2 : 4;
  const [seed, offset] = reserve(Math.ceil(n / perBlock));
  // An empty output needs no draw (and its strides need not look contiguous to the kernel).
  if (n > 0) runKernel(kernel, [out], [seed, offset, a, b]);
  return out;
}

/** Uniform values in [0, 1), reproducible under manualSeed. */
export const rand = (shape: readonly number[], opts?: TensorOptions): Tensor =>
  random('rand', 'rand_uniform', shape, 0, 1, opts);
/** Standard normal values, reproducible under manualSeed. */
export const randn = (shape: readonly number[], opts?: TensorOptions): Tensor =>
  random('randn', 'rand_normal', shape, 0, 1, opts);
