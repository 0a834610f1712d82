import { type DType, randn, Tensor, tensor } from '@mantissa/tensor';

/** A float64 leaf that requires grad, from a seeded normal sample (deterministic across runs). */
export function leaf(shape: number[], dtype: DType = 'float64', scale = 1): Tensor {
  const t = randn(shape, { dtype: 'float64' }).mul(scale);
  const out = dtype === 'float64' ? t : t.to(dtype);
  return out.requiresGrad_();
}

/** Values in [lo, hi], spread so no two are equal (keeps max/relu/clamp away from ties and kinks). */
export function spread(shape: number[], lo: number, hi: number, dtype: DType = 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (((i * 7919) % n) + 0.5)) / n);
  return tensor(values, { dtype, shape }).requiresGrad_();
}

export const values = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number>);

/** A non-contiguous float64 leaf: the transpose of a sample, as a leaf that requires grad. */
export function leafT(shape: number[], scale = 1): Tensor {
  const base = randn(shape.slice().reverse(), { dtype: 'float64' }).mul(scale);
  const t = base.T;
  return t.requiresGrad_();
}

/** A tensor as the fixture generators store it: raw little-endian bytes, base64 (bit-exact). */
export interface FixtureTensor {
  dtype: DType;
  shape: number[];
  data: string;
}

export function fromFixture(f: FixtureTensor): Tensor {
  const b = Buffer.from(f.data, 'base64');
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  switch (f.dtype) {
    case 'float16':
    case 'bfloat16':
      return Tensor.fromBits(new Uint16Array(buf), f.dtype, f.shape);
    case 'float64':
      return tensor(new Float64Array(buf), { dtype: f.dtype, shape: f.shape });
    case 'int32':
      return tensor(new Int32Array(buf), { dtype: f.dtype, shape: f.shape });
    case 'bool':
      return tensor(new Uint8Array(buf), { dtype: f.dtype, shape: f.shape });
    default:
      return tensor(new Float32Array(buf), { dtype: f.dtype, shape: f.shape });
  }
}
