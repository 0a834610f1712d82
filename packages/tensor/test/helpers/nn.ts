import { expect } from 'vitest';
import { type Tensor, tensor } from '../../src/index';
import { type FixtureTensor, fromFixture } from './fixtures';

/** A view step of gen_nn.py's apply_view. */
export type NnView = { permute: number[] } | { slice: [number, number, number, number] };

/** A fixture input with gen_nn.py's view steps applied (a non-contiguous view when steps are given). */
export function nnInput(base: FixtureTensor, view?: readonly NnView[]): Tensor {
  let x = fromFixture(base);
  for (const step of view ?? []) x = 'permute' in step ? x.permute(step.permute) : x.slice(...step.slice);
  return x;
}

/**
 * Central-difference check in float64: the backward's gradient of sum(upstream * f(x)) against
 * (f(x + h e_i) - f(x - h e_i)) / 2h for every element of x.
 */
export function finiteDifference(
  values: Float64Array,
  shape: readonly number[],
  forward: (x: Tensor) => Tensor,
  upstream: Float64Array,
  analytic: Float64Array | Float32Array,
  { h = 1e-6, atol = 1e-6, rtol = 1e-5 } = {},
): void {
  const scalar = (v: Float64Array): number => {
    const out = forward(tensor(v, { dtype: 'float64', shape: shape.slice() })).data();
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i]! * upstream[i]!;
    return s;
  };
  expect(analytic.length).toBe(values.length);
  for (let i = 0; i < values.length; i++) {
    const plus = values.slice();
    const minus = values.slice();
    plus[i]! += h;
    minus[i]! -= h;
    const numeric = (scalar(plus) - scalar(minus)) / (2 * h);
    expect(
      Math.abs(analytic[i]! - numeric),
      `element ${i}: analytic ${analytic[i]} vs numeric ${numeric}`,
    ).toBeLessThanOrEqual(atol + rtol * Math.abs(numeric));
  }
}

/** Deterministic float64 values in [-1, 1) without ties (for max pooling). */
export function distinctValues(n: number, seed = 1): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = ((((i + seed) * 7919) % 1009) / 1009) * 2 - 1 + i * 1e-4;
  return v;
}
