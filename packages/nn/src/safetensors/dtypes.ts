import type { DType } from '@mantissa/tensor';

/** The safetensors dtype names this package reads; I64 is read only (see read.ts). */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'BOOL' | 'I64';

export const TO_SAFETENSORS: Readonly<Record<DType, SafetensorsDType>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};

export const ITEMSIZE: Readonly<Record<SafetensorsDType, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I32: 4,
  BOOL: 1,
  I64: 8,
};

export const READABLE = Object.keys(ITEMSIZE) as readonly SafetensorsDType[];

// Every dtype of the format (safetensors' `Dtype` enum, in its declaration order, which is the
// order of increasing alignment the Rust writer sorts by). Names here but not in ITEMSIZE are
// valid safetensors dtypes that Mantissa has no tensor type for.
const FORMAT_ORDER = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
] as const;

export function isFormatDType(name: string): boolean {
  return (FORMAT_ORDER as readonly string[]).includes(name);
}

export function isReadable(name: string): name is SafetensorsDType {
  return Object.hasOwn(ITEMSIZE, name);
}

/** The writer's sort key: the position in the format's enum (higher = larger alignment). */
export function alignmentRank(name: SafetensorsDType): number {
  return FORMAT_ORDER.indexOf(name);
}
