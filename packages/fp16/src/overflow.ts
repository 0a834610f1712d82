import type { Tensor } from '@mantissa/tensor';

/**
 * The flat (row-major) index of the first inf or NaN in t, or -1. It reads the tensor back to the host,
 * so it runs only on a step that already overflowed, never on a clean one.
 */
export function firstNonFinite(t: Tensor): number {
  const values = t.data();
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
