// Every reduction against PyTorch (test/fixtures/gen_reduce.py): each op x dtype x axis form x keepdim,
// non-contiguous and expanded inputs, empty / size-1 / 0-d tensors, sizes crossing the SIMD widths and
// the thread split, NaN/inf, half overflow, float32 accumulation of halves, var corrections, ties.
//
// Tolerances come with each case (the generator's docstring explains them): float32/float64 sums and
// means may differ from PyTorch's by summation order, within 1e-6 (float32) or 1e-12 (float64) of the
// L1 norm of the reduced slice; half results are bit-exact, except for cases the generator marks (in
// `why`) where float32 summation order can flip the half rounding, which allow 1 ulp.
import { describe, expect, it } from 'vitest';
import { argmax, max, mean, min, sum, type Tensor, tidy, variance } from '../src/index';
import {
  expectMatches,
  type FixtureFile,
  type FixtureTensor,
  loadFixture,
  type Tolerance,
} from './helpers/fixtures';
import { buildInput, type FormulaInput, type ViewStep } from './reduce-helpers';

interface ReduceCase {
  name: string;
  op: 'sum' | 'mean' | 'var' | 'max' | 'min' | 'argmax';
  input?: number;
  gen?: FormulaInput;
  view?: ViewStep[];
  axis: number | number[] | null;
  keepdim: boolean;
  correction?: number;
  expected: FixtureTensor;
  tol: Tolerance;
  why?: string;
}

const fixture = loadFixture<ReduceCase>('reduce') as FixtureFile<ReduceCase> & { inputs: FixtureTensor[] };

function runCase(c: ReduceCase, x: Tensor): Tensor {
  const axis = c.axis ?? undefined;
  switch (c.op) {
    case 'sum':
      return sum(x, axis, c.keepdim);
    case 'mean':
      return mean(x, axis, c.keepdim);
    case 'max':
      return max(x, axis, c.keepdim);
    case 'min':
      return min(x, axis, c.keepdim);
    case 'var':
      return variance(x, axis, { correction: c.correction!, keepdim: c.keepdim });
    case 'argmax':
      return argmax(x, axis as number | undefined, c.keepdim);
  }
}

describe.each(['sum', 'mean', 'var', 'max', 'min', 'argmax'] as const)('%s vs PyTorch', (op) => {
  const cases = fixture.cases.filter((c) => c.op === op);
  it('has cases', () => expect(cases.length).toBeGreaterThan(50));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    tidy(() => {
      const x = buildInput(c, fixture.inputs);
      expectMatches(runCase(c, x), c.expected, c.tol, c.name);
    });
  });
});

describe('fixture tolerances', () => {
  it('half results are bit-exact except where marked', () => {
    for (const c of fixture.cases) {
      if (c.expected.dtype === 'float16' || c.expected.dtype === 'bfloat16') {
        expect(c.tol.ulps ?? 0, c.name).toBe(c.why === undefined ? 0 : 1);
      }
    }
  });
});
