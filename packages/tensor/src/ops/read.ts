import { DTYPES } from '../dtype';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { native } from '../native';
import { checkShape, numelOf } from '../shape';
import { Storage } from '../storage';
import { type NestedArray, Tensor } from '../tensor';
import { castTo } from './cast';
import { isContiguous } from './views';

type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

/** Copies the elements of x out, in row-major order, as raw storage elements of x's dtype. */
function readRaw(x: Tensor): HostArray {
  const itemsize = DTYPES[x.dtype].itemsize;
  const n = x.numel;
  const out: HostArray =
    x.dtype === 'float32'
      ? new Float32Array(n)
      : x.dtype === 'float64'
        ? new Float64Array(n)
        : x.dtype === 'int32'
          ? new Int32Array(n)
          : x.dtype === 'bool'
            ? new Uint8Array(n)
            : new Uint16Array(n);
  if (n === 0) return out;
  if (isContiguous(x)) {
    native.copyOut(x.storage.id, x.offset * itemsize, out);
  } else {
    const dense = castTo(x, x.dtype);
    native.copyOut(dense.storage.id, 0, out);
    dense.dispose();
  }
  return out;
}

/**
 * The values as a flat typed array (a copy). float16/bfloat16 come back as float32, which holds
 * every half value exactly; bool as 0/1 bytes.
 */
export function data(x: Tensor): Float32Array | Float64Array | Int32Array | Uint8Array {
  x.assertLive('data');
  if (DTYPES[x.dtype].isHalf) {
    const wide = castTo(x, 'float32');
    const out = readRaw(wide) as Float32Array;
    wide.dispose();
    return out;
  }
  return readRaw(x) as Float32Array | Float64Array | Int32Array | Uint8Array;
}

/** The raw 16-bit patterns of a float16/bfloat16 tensor. */
export function bits(x: Tensor): Uint16Array {
  x.assertLive('bits');
  if (!DTYPES[x.dtype].isHalf) throw new DTypeError('bits', ['float16', 'bfloat16'], x.dtype);
  return readRaw(x) as Uint16Array;
}

export function toArray(x: Tensor): NestedArray<number | boolean> {
  x.assertLive('toArray');
  const flat = data(x);
  const values: (number | boolean)[] =
    x.dtype === 'bool' ? Array.from(flat, (v) => v !== 0) : Array.from(flat);
  if (x.ndim === 0) return values[0]!;
  const build = (d: number, start: number): NestedArray<number | boolean> => {
    const size = x.shape[d]!;
    if (d === x.ndim - 1) return values.slice(start, start + size);
    const inner = numelOf(x.shape.slice(d + 1));
    return Array.from({ length: size }, (_, i) => build(d + 1, start + i * inner));
  };
  return build(0, 0);
}

export function item(x: Tensor): number | boolean {
  x.assertLive('item');
  if (x.numel !== 1) throw new ShapeError('item', 'a tensor with one element', x.shape);
  const v = data(x)[0]!;
  return x.dtype === 'bool' ? v !== 0 : v;
}

export function fromBits(
  bitsArray: Uint16Array,
  dtype: 'float16' | 'bfloat16',
  shape?: readonly number[],
): Tensor {
  if (!(bitsArray instanceof Uint16Array))
    throw new ArgumentError('fromBits', 'bits', 'a Uint16Array', bitsArray);
  if (dtype !== 'float16' && dtype !== 'bfloat16')
    throw new DTypeError('fromBits', ['float16', 'bfloat16'], String(dtype));
  const target = shape === undefined ? [bitsArray.length] : checkShape('fromBits', shape);
  if (numelOf(target) !== bitsArray.length) {
    throw new ShapeError('fromBits', `a shape with ${bitsArray.length} elements`, target);
  }
  const storage = Storage.allocate(bitsArray.byteLength);
  native.copyIn(storage.id, 0, bitsArray);
  return new Tensor(storage, target, dtype);
}
