// The reduction ops' contract beyond the values: argument errors, empty and degenerate shapes, signed
// zeros, the allFinite fixtures, the kernels' own checks, memory, and the autograd hook.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  AxisError,
  allFinite,
  argmax,
  DisposedError,
  KernelError,
  MantissaError,
  max,
  mean,
  memory,
  min,
  runKernel,
  ShapeError,
  setOpHook,
  sum,
  type Tensor,
  tensor,
  tidy,
  variance,
  zeros,
} from '../src/index';
import type { FixtureTensor } from './helpers/fixtures';
import { loadFixture } from './helpers/fixtures';
import { buildInput, type FormulaInput, type ViewStep } from './reduce-helpers';

function thrown(fn: () => unknown): MantissaError {
  try {
    fn();
  } catch (e) {
    expect(MantissaError.isInstance(e), String(e)).toBe(true);
    return e as MantissaError;
  }
  throw new Error('expected an error');
}

describe('allFinite vs PyTorch', () => {
  interface FiniteCase {
    name: string;
    x?: FixtureTensor;
    gen?: FormulaInput;
    view?: ViewStep[];
    expected: boolean;
  }
  const { cases } = loadFixture<FiniteCase>('reduce_finite');
  it('covers inf, -inf and NaN at first/middle/last in every float dtype', () => {
    expect(cases.length).toBeGreaterThan(300);
    expect(cases.filter((c) => !c.expected).length).toBeGreaterThan(200);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    tidy(() => expect(allFinite(buildInput(c))).toBe(c.expected));
  });
});

describe('argument errors name the op and the values', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('axis out of range is an AxisError', () => {
    for (const op of [sum, mean, max, min] as const) {
      const e = thrown(() => op(x, 2));
      expect(e).toBeInstanceOf(AxisError);
      expect(e.message).toMatch(/axis 2 is out of range for a tensor of 2 dims/);
    }
    expect(thrown(() => sum(x, -3))).toBeInstanceOf(AxisError);
    expect(thrown(() => argmax(x, 5))).toBeInstanceOf(AxisError);
    expect(thrown(() => variance(x, [0, 7]))).toBeInstanceOf(AxisError);
    expect(thrown(() => sum(tensor(1), 1))).toBeInstanceOf(AxisError);
  });
  it('duplicated, fractional or non-numeric axes are ArgumentErrors', () => {
    const dup = thrown(() => sum(x, [0, -2]));
    expect(dup).toBeInstanceOf(ArgumentError);
    expect(dup.op).toBe('sum');
    expect(dup.message).toMatch(/distinct axes/);
    expect(thrown(() => mean(x, 0.5))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => max(x, [1.5]))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => sum(x, 'a' as unknown as number))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => argmax(x, [0] as unknown as number))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => sum(tensor(1), [0, -1]))).toBeInstanceOf(ArgumentError);
  });
  it('bad keepdim, correction, options and operands are ArgumentErrors', () => {
    expect(thrown(() => sum(x, 0, 'yes' as unknown as boolean))).toBeInstanceOf(ArgumentError);
    const c = thrown(() => variance(x, 0, { correction: -1 }));
    expect(c).toBeInstanceOf(ArgumentError);
    expect(c.op).toBe('var');
    expect(thrown(() => variance(x, 0, { correction: Number.NaN }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => variance(x, 0, null as unknown as object))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => sum(3 as unknown as Tensor))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => argmax([1, 2] as unknown as Tensor))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => allFinite(Number.NaN as unknown as Tensor))).toBeInstanceOf(ArgumentError);
  });
  it('max, min and argmax of an empty extent are ShapeErrors; sum and mean are not', () => {
    const empty = zeros([0, 3]);
    for (const op of [max, min, argmax] as const) {
      expect(thrown(() => op(empty, 0))).toBeInstanceOf(ShapeError);
      expect(thrown(() => op(empty))).toBeInstanceOf(ShapeError);
    }
    expect(max(empty, 1).shape).toEqual([0]);
    expect(sum(empty, 0).toArray()).toEqual([0, 0, 0]);
    expect(Number.isNaN(mean(zeros([0])).item())).toBe(true);
  });
  it('a disposed input is a DisposedError', () => {
    const d = tensor([1, 2]);
    d.dispose();
    expect(thrown(() => sum(d))).toBeInstanceOf(DisposedError);
    expect(thrown(() => allFinite(d))).toBeInstanceOf(DisposedError);
  });
});

describe('kernel checks (what a caller bypassing ops/reduce.ts gets)', () => {
  it('refuses a wrong output dtype, shape, layout or reduced-dim count', () =>
    tidy(() => {
      const x = zeros([2, 3]);
      const expectKernel = (fn: () => void, pattern: RegExp) => {
        const e = thrown(fn);
        expect(e).toBeInstanceOf(KernelError);
        expect(e.message).toMatch(pattern);
      };
      expectKernel(
        () => runKernel('sum', [x, zeros([2], { dtype: 'float64' })], [1]),
        /expected a float32 output/,
      );
      expectKernel(
        () => runKernel('mean', [zeros([2], { dtype: 'int32' }), zeros([], { dtype: 'int32' })], [1]),
        /float32 output/,
      );
      expectKernel(() => runKernel('sum', [x, zeros([3])], [1]), /output shape/);
      expectKernel(() => runKernel('sum', [x, zeros([2, 2]).slice(1, 0, 1)], [1]), /output shape/);
      expectKernel(() => runKernel('sum', [x, zeros([3, 2]).T], [0]), /contiguous output/);
      expectKernel(() => runKernel('sum', [x, zeros([2])], [3]), /reduced dim count in 0..2, got 3/);
      expectKernel(() => runKernel('sum', [x, zeros([2])], [0.5]), /reduced dim count/);
      expectKernel(() => runKernel('sum', [x, zeros([2])], []), /expected 1 attributes/);
      expectKernel(() => runKernel('var', [x, zeros([2])], [1, -1]), /correction/);
      expectKernel(() => runKernel('max', [zeros([2, 0]), zeros([2])], [1]), /non-empty reduction/);
      expectKernel(() => runKernel('all_finite', [x, zeros([])], [2]), /bool output/);
      expectKernel(
        () => runKernel('all_finite', [x, zeros([2], { dtype: 'bool' })], [2]),
        /one-element output/,
      );
      expectKernel(() => runKernel('sum', [x], [1]), /expected 2 tensor/);
    }));
});

describe('semantics', () => {
  it('an empty axis list reduces nothing (NumPy), so gradient code can sum over "no broadcast dims"', () =>
    tidy(() => {
      const x = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect(sum(x, []).toArray()).toEqual(x.toArray());
      expect(max(x, [], true).shape).toEqual([2, 2]);
    }));
  it('sums start from +0: a sum of negative zeros is +0, and so is its mean', () =>
    tidy(() => {
      for (const dtype of ['float32', 'float16', 'bfloat16', 'float64'] as const) {
        const z = tensor([-0, -0, -0], { dtype });
        expect(Object.is(sum(z).item(), 0), dtype).toBe(true);
        expect(Object.is(mean(z).item(), 0), dtype).toBe(true);
        expect(Object.is((sum(z.expand([70, 3]), 0).toArray() as number[])[0], 0), dtype).toBe(true);
      }
      expect(Object.is(max(tensor([-0, -0])).item(), -0)).toBe(true);
    }));
  it('argmax without an axis is the flat index, also of a non-contiguous view', () =>
    tidy(() => {
      const x = tensor([
        [1, 9, 3],
        [8, 2, 9],
      ]);
      expect(argmax(x).item()).toBe(1);
      expect(argmax(x.T).item()).toBe(2); // x.T = [[1, 8], [9, 2], [3, 9]]: the first 9 is at flat 2
      expect(argmax(x, undefined, true).shape).toEqual([1, 1]);
      expect(argmax(tensor(4)).item()).toBe(0);
    }));
  it('keepdim outputs are contiguous and the input is untouched', () =>
    tidy(() => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const r = sum(x.T, 0, true);
      expect(r.shape).toEqual([1, 2]);
      expect(r.isContiguous).toBe(true);
      expect(r.toArray()).toEqual([[6, 15]]);
      expect(x.toArray()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
    }));
});

describe('memory and hooks', () => {
  it('leaves no tensor or storage behind, errors included', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const before = memory();
    tidy(() => {
      sum(x, 0, true);
      mean(x.T);
      variance(x, 1, { keepdim: true });
      argmax(x);
      allFinite(x);
    });
    tidy(() => {
      for (const bad of [() => sum(x, 5), () => max(zeros([0])), () => variance(x, 0, { correction: -2 })]) {
        expect(() => bad()).toThrow();
      }
      expect(() => runKernel('sum', [x, tensor([0], { dtype: 'int32' })], [1])).toThrow(KernelError);
    });
    expect(memory()).toEqual(before);
    x.dispose();
  });
  it('reports each reduction to the op hook with its axes', () =>
    tidy(() => {
      const seen: [string, unknown][] = [];
      const previous = setOpHook((op, _inputs, _outputs, attrs) => seen.push([op, attrs]));
      try {
        const x = zeros([2, 3]);
        sum(x, -1, true);
        variance(x, undefined, { correction: 0 });
      } finally {
        setOpHook(previous);
      }
      expect(seen).toContainEqual(['sum', { axes: [1], keepdim: true, extra: [] }]);
      expect(seen).toContainEqual(['var', { axes: [0, 1], keepdim: false, extra: [0] }]);
    }));
});
