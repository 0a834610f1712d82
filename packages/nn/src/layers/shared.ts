import type { Tensor } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import { Parameter } from '../parameter';

export type Size2 = number | readonly [number, number];

/** A positive (or, with min 0, non-negative) integer, or a layer constructor error naming the argument. */
export function checkInt(layer: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new NnError(layer, `expected ${name} to be an integer >= ${min}, got ${fmtValue(v)}`);
  }
  return v;
}

export function checkPair(layer: string, name: string, v: unknown, min = 1): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2) {
    throw new NnError(layer, `expected ${name} to be an integer or a pair of integers, got ${fmtValue(v)}`);
  }
  return [checkInt(layer, name, p[0], min), checkInt(layer, name, p[1], min)];
}

export function checkBool(layer: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean')
    throw new NnError(layer, `expected ${name} to be a boolean, got ${fmtValue(v)}`);
  return v;
}

/** PyTorch's tuple repr: (3, 3). */
export const tuple = (p: readonly number[]): string => `(${p.join(', ')})`;

/** A parameter that takes over a freshly made tensor (the tensor object itself is disposed, not its memory). */
export function adopt(t: Tensor): Parameter {
  const p = new Parameter(t);
  t.dispose();
  return p;
}
