import { ArgumentError, DTypeError } from './errors';

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

/** 0 for bool, 1 for integers, 2 for floating dtypes. */
export const dtypeKind = (d: DType): number => (d === 'bool' ? 0 : DTYPES[d].isFloat ? 2 : 1);

/** The dtype a JS number or boolean has as an operand: PyTorch's wrapped numbers (int64 -> int32). */
export function scalarDType(s: number | boolean): DType {
  if (typeof s === 'boolean') return 'bool';
  return Number.isInteger(s) ? 'int32' : 'float32';
}

/**
 * PyTorch's combine_categories: operands of a lower-priority category (0-d tensors under tensors with
 * dims, JS numbers under both) only widen the result when they are of a higher kind
 * (bool < integer < floating).
 */
export function combineCategories(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null || dtypeKind(higher) === 2) return higher;
  if (higher === 'bool' || dtypeKind(lower) === 2) return promoteTypes(higher, lower);
  return higher;
}

/**
 * The result dtype of a tensor of dtype `t` combined with a JS number, as PyTorch does with a Python
 * scalar: the scalar does not widen a float tensor; a fractional scalar makes an integer or bool tensor
 * float32; an integral scalar makes a bool tensor int32.
 */
export function promoteWithScalar(t: DType, s: number | boolean): DType {
  return combineCategories(t, scalarDType(s))!;
}

// The largest finite value of each dtype that a fill value may not exceed (PyTorch's overflow check).
const LIMITS: Partial<Record<DType, [number, number]>> = {
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float16: [-65504, 65504],
  bfloat16: [-3.3895313892515355e38, 3.3895313892515355e38],
  int32: [-2147483648, 2147483647],
};

/**
 * Refuses a fill value that the dtype cannot hold instead of storing a different number, as PyTorch
 * does: finite values beyond the dtype's range, and NaN or infinity for int32. Infinity and NaN are
 * valid float values; bool takes anything (non-zero is true).
 */
export function checkRepresentable(op: string, value: number | boolean, dtype: DType): void {
  const limits = LIMITS[dtype];
  if (limits === undefined || typeof value === 'boolean') return;
  const [lo, hi] = limits;
  const isInt = dtype === 'int32';
  if ((isInt && !Number.isFinite(value)) || (Number.isFinite(value) && (value < lo || value > hi))) {
    throw new ArgumentError(
      op,
      'value',
      `a value ${dtype} can hold (${lo}..${hi}${isInt ? '' : ', inf or NaN'})`,
      value,
    );
  }
}
