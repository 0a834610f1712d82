import { type DType, DTypeError, Tensor, tensor } from '@mantissa/tensor';

/** Raw element storage on the host, in the layout each dtype keeps natively (halfs as their bits). */
export type HostValues = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

/**
 * N items of one shape in one contiguous host buffer: item i is values[i*itemSize, (i+1)*itemSize).
 * Batches are gathered from it with one copy per item into one buffer, then uploaded once.
 */
export interface HostColumn {
  readonly dtype: DType;
  readonly itemShape: readonly number[];
  readonly itemSize: number;
  readonly values: HostValues;
}

export function allocHost(dtype: DType, n: number): HostValues {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
  }
}

/** The raw values of a tensor (bits for float16/bfloat16, so nothing is rounded twice). */
export function hostValues(t: Tensor): HostValues {
  return t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : t.data();
}

export function columnOf(t: Tensor): HostColumn {
  const itemShape = t.shape.slice(1);
  return { dtype: t.dtype, itemShape, itemSize: itemShape.reduce((a, b) => a * b, 1), values: hostValues(t) };
}

/** Copies the items `indices` of `col` into `out` (which holds at least indices.length items). */
export function gatherInto(col: HostColumn, indices: ArrayLike<number>, out: HostValues): void {
  const { itemSize: k, values } = col;
  if (k === 1) {
    for (let j = 0; j < indices.length; j++) out[j] = values[indices[j]!]!;
    return;
  }
  for (let j = 0; j < indices.length; j++) {
    const s = indices[j]! * k;
    (out as Float32Array).set((values as Float32Array).subarray(s, s + k), j * k);
  }
}

/** One native tensor from host values (copied once), of the given dtype and shape. */
export function upload(values: HostValues, dtype: DType, shape: readonly number[]): Tensor {
  if (dtype === 'float16' || dtype === 'bfloat16') {
    if (!(values instanceof Uint16Array)) throw new DTypeError('upload', dtype, values.constructor.name);
    return Tensor.fromBits(values, dtype, shape);
  }
  return tensor(values as Float32Array | Float64Array | Int32Array | Uint8Array, { dtype, shape });
}

/**
 * A reusable host buffer per column: batches are gathered into it and uploaded (the upload copies), so
 * an epoch allocates no host memory per batch.
 */
export class Scratch {
  private buffer: HostValues | null = null;
  private dtype: DType | null = null;

  take(dtype: DType, n: number): HostValues {
    if (this.buffer === null || this.buffer.length < n || this.dtype !== dtype) {
      this.buffer = allocHost(dtype, n);
      this.dtype = dtype;
      return this.buffer;
    }
    return this.buffer.subarray(0, n);
  }
}
