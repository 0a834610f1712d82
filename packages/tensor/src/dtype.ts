import { DTypeError } from './errors';

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int32' | 'bool';

export interface DTypeInfo {
  /** The code passed to the kernels (kernels/include/mantissa/abi.h). */
  readonly code: number;
  readonly itemsize: number;
  readonly isFloat: boolean;
  /** float16 or bfloat16: stored as 16-bit patterns, computed in float32. */
  readonly isHalf: boolean;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.freeze({
  float32: { code: 0, itemsize: 4, isFloat: true, isHalf: false },
  float16: { code: 1, itemsize: 2, isFloat: true, isHalf: true },
  bfloat16: { code: 2, itemsize: 2, isFloat: true, isHalf: true },
  float64: { code: 3, itemsize: 8, isFloat: true, isHalf: false },
  int32: { code: 4, itemsize: 4, isFloat: false, isHalf: false },
  bool: { code: 5, itemsize: 1, isFloat: false, isHalf: false },
});

export const ALL_DTYPES = Object.keys(DTYPES) as readonly DType[];
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

export function isDType(v: unknown): v is DType {
  return typeof v === 'string' && Object.hasOwn(DTYPES, v);
}

export function checkDType(op: string, v: unknown): DType {
  if (!isDType(v)) throw new DTypeError(op, ALL_DTYPES, String(v));
  return v;
}

// PyTorch's promotion for these dtypes: bool < int32 < {float16, bfloat16} < float32 < float64, and
// float16 with bfloat16 gives float32.
const rank: Record<DType, number> = { bool: 0, int32: 1, float16: 2, bfloat16: 2, float32: 3, float64: 4 };

export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (rank[a] === 2 && rank[b] === 2) return 'float32';
  return rank[a] >= rank[b] ? a : b;
}

/**
 * The result dtype of a tensor of dtype `t` combined with a JS number, as PyTorch does with a Python
 * scalar: the scalar does not widen a float tensor; a fractional (or non-finite) scalar makes an
 * integer or bool tensor float32; an integral scalar makes a bool tensor int32.
 */
export function promoteWithScalar(t: DType, s: number | boolean): DType {
  if (typeof s === 'boolean') return t;
  if (DTYPES[t].isFloat) return t;
  if (!Number.isInteger(s)) return 'float32';
  return t === 'bool' ? 'int32' : t;
}
