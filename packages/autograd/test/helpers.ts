import { type DType, randn, type Tensor, tensor } from '@mantissa/tensor';

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
