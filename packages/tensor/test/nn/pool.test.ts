// Pooling vs PyTorch (test/fixtures/gen_nn.py): max/avg/adaptive pools, forward and backward, every float
// dtype, odd sizes, batch 1, padding/stride/dilation/ceil_mode combinations and non-contiguous inputs;
// then float64 finite differences of every backward, and the argument errors.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  DTypeError,
  KernelError,
  maxPool2d,
  maxPool2dBackward,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../src/index';
import {
  expectMatches,
  type FixtureTensor,
  fromFixture,
  loadFixture,
  type Tolerance,
} from '../helpers/fixtures';
import { distinctValues, finiteDifference, type NnView, nnInput } from '../helpers/nn';

interface PoolCase {
  op: string;
  name: string;
  x: FixtureTensor;
  view?: NnView[];
  grad: FixtureTensor;
  params: {
    kernel: [number, number];
    stride: [number, number] | null;
    padding: [number, number];
    dilation: [number, number];
    ceil: boolean;
    countIncludePad?: boolean;
    outputSize?: [number, number];
  };
  expected: Record<string, FixtureTensor>;
  tol: Tolerance;
}

const cases = loadFixture<PoolCase>('nn').cases;
const byOp = (op: string) => cases.filter((c) => c.op === op);

describe('max_pool2d vs PyTorch', () => {
  it('has cases for every dtype, view and ceil_mode', () => expect(byOp('max_pool2d').length).toBe(40));
  it.each(byOp('max_pool2d').map((c) => [c.name, c] as const))('%s', (_, c) =>
    tidy(() => {
      const x = nnInput(c.x, c.view);
      const p = c.params;
      const opts = {
        stride: p.stride ?? undefined,
        padding: p.padding,
        dilation: p.dilation,
        ceilMode: p.ceil,
      };
      const { output, indices } = maxPool2d(x, p.kernel, opts);
      expectMatches(output, c.expected.output!, {}, `${c.name} output`);
      expectMatches(indices, c.expected.indices!, {}, `${c.name} indices`);
      const g = maxPool2dBackward(fromFixture(c.grad), x, indices, p.kernel, opts);
      expectMatches(g, c.expected.grad_input!, {}, `${c.name} grad`);
    }),
  );
});

describe('avg_pool2d vs PyTorch', () => {
  it('has cases', () => expect(byOp('avg_pool2d').length).toBeGreaterThan(30));
  it.each(byOp('avg_pool2d').map((c) => [c.name, c] as const))('%s', (_, c) =>
    tidy(() => {
      const x = nnInput(c.x, c.view);
      const p = c.params;
      const opts = {
        stride: p.stride ?? undefined,
        padding: p.padding,
        ceilMode: p.ceil,
        countIncludePad: p.countIncludePad!,
      };
      expectMatches(avgPool2d(x, p.kernel, opts), c.expected.output!, c.tol, `${c.name} output`);
      const g = avgPool2dBackward(fromFixture(c.grad), x, p.kernel, opts);
      expectMatches(g, c.expected.grad_input!, c.tol, `${c.name} grad`);
    }),
  );
});

describe('adaptive_avg_pool2d vs PyTorch', () => {
  it('has cases', () => expect(byOp('adaptive_avg_pool2d').length).toBe(20));
  it.each(byOp('adaptive_avg_pool2d').map((c) => [c.name, c] as const))('%s', (_, c) =>
    tidy(() => {
      const x = nnInput(c.x, c.view);
      expectMatches(
        adaptiveAvgPool2d(x, c.params.outputSize!),
        c.expected.output!,
        c.tol,
        `${c.name} output`,
      );
      const g = adaptiveAvgPool2dBackward(fromFixture(c.grad), x);
      expectMatches(g, c.expected.grad_input!, c.tol, `${c.name} grad`);
    }),
  );
});

describe('pool backwards vs float64 central differences', () => {
  const shape = [1, 2, 5, 6];
  const x0 = distinctValues(60);
  const up = (n: number) => distinctValues(n, 7);
  const x64 = () => tensor(x0, { dtype: 'float64', shape });

  it('max_pool2d (k3 s2 p1 d1 ceil)', () =>
    tidy(() => {
      const opts = { stride: 2, padding: 1, ceilMode: true };
      const { output, indices } = maxPool2d(x64(), 3, opts);
      const u = up(output.numel);
      const g = maxPool2dBackward(
        tensor(u, { dtype: 'float64', shape: output.shape.slice() }),
        x64(),
        indices,
        3,
        opts,
      );
      finiteDifference(x0, shape, (x) => maxPool2d(x, 3, opts).output, u, g.data() as Float64Array);
    }));
  it('max_pool2d (k2 dilation 2, overlapping windows)', () =>
    tidy(() => {
      const opts = { stride: 1, dilation: 2 };
      const { output, indices } = maxPool2d(x64(), 2, opts);
      const u = up(output.numel);
      const g = maxPool2dBackward(
        tensor(u, { dtype: 'float64', shape: output.shape.slice() }),
        x64(),
        indices,
        2,
        opts,
      );
      finiteDifference(x0, shape, (x) => maxPool2d(x, 2, opts).output, u, g.data() as Float64Array);
    }));
  for (const countIncludePad of [true, false]) {
    it(`avg_pool2d (k3 s2 p1 ceil, countIncludePad ${countIncludePad})`, () =>
      tidy(() => {
        const opts = { stride: 2, padding: 1, ceilMode: true, countIncludePad };
        const out = avgPool2d(x64(), 3, opts);
        const u = up(out.numel);
        const g = avgPool2dBackward(
          tensor(u, { dtype: 'float64', shape: out.shape.slice() }),
          x64(),
          3,
          opts,
        );
        finiteDifference(x0, shape, (x) => avgPool2d(x, 3, opts), u, g.data() as Float64Array);
      }));
  }
  it('adaptive_avg_pool2d (5x6 to 3x4)', () =>
    tidy(() => {
      const out = adaptiveAvgPool2d(x64(), [3, 4]);
      const u = up(out.numel);
      const g = adaptiveAvgPool2dBackward(tensor(u, { dtype: 'float64', shape: out.shape.slice() }), x64());
      finiteDifference(x0, shape, (x) => adaptiveAvgPool2d(x, [3, 4]), u, g.data() as Float64Array);
    }));
});

describe('pool argument errors', () => {
  const x = () => zeros([1, 2, 4, 4]);
  it('a 3-D input to a 2-D pool is a ShapeError naming the op and both shapes', () =>
    tidy(() => {
      let e: unknown;
      try {
        maxPool2d(zeros([2, 4, 4]), 2);
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(ShapeError);
      expect((e as ShapeError).message).toMatch(/max_pool2d: .*4-D \(N, C, H, W\).*\[2, 4, 4\]/);
      expect(() => avgPool2d(zeros([4, 4]), 2)).toThrow(ShapeError);
      expect(() => adaptiveAvgPool2d(zeros([1, 1, 2, 4, 4]), 2)).toThrow(ShapeError);
    }));
  it('a kernel larger than the padded input is a ShapeError', () =>
    tidy(() => {
      expect(() => maxPool2d(x(), 5)).toThrow(/max_pool2d: expected padded input size .*got \[4, 4\]/);
      expect(() => avgPool2d(x(), [3, 7], { padding: 1 })).toThrow(ShapeError);
      expect(() => maxPool2d(x(), 3, { dilation: 2 })).toThrow(ShapeError);
    }));
  it('bad kernel, stride, padding, dilation and flags are ArgumentErrors', () =>
    tidy(() => {
      expect(() => maxPool2d(x(), 0)).toThrow(ArgumentError);
      expect(() => maxPool2d(x(), 2.5)).toThrow(ArgumentError);
      expect(() => maxPool2d(x(), 2, { stride: 0 })).toThrow(ArgumentError);
      expect(() => maxPool2d(x(), 2, { padding: 2 })).toThrow(/padding to be at most half the kernel size/);
      expect(() => maxPool2d(x(), 2, { dilation: [1, 0] })).toThrow(ArgumentError);
      expect(() => maxPool2d(x(), [2, 2, 2] as unknown as [number, number])).toThrow(ArgumentError);
      expect(() => avgPool2d(x(), 2, { ceilMode: 1 as unknown as boolean })).toThrow(ArgumentError);
      expect(() => adaptiveAvgPool2d(x(), -1)).toThrow(ArgumentError);
      expect(() => maxPool2d(zeros([1, 1, 2, 2], { dtype: 'int32' }), 2)).toThrow(DTypeError);
    }));
  it('backward shapes, dtypes and indices are checked', () =>
    tidy(() => {
      const { indices } = maxPool2d(x(), 2);
      expect(() => maxPool2dBackward(zeros([1, 2, 3, 2]), x(), indices, 2)).toThrow(ShapeError);
      expect(() =>
        maxPool2dBackward(zeros([1, 2, 2, 2]), x(), zeros([1, 2, 2, 2], { dtype: 'int32' }).add(16), 2),
      ).toThrow(KernelError);
      expect(() => avgPool2dBackward(zeros([1, 2, 3, 3]), x(), 2)).toThrow(ShapeError);
      expect(() => adaptiveAvgPool2dBackward(zeros([1, 3, 2, 2]), x())).toThrow(ShapeError);
      expect(() => avgPool2dBackward(zeros([1, 2, 2, 2], { dtype: 'float16' }), x(), 2)).toThrow(DTypeError);
    }));
  it('empty batches and empty adaptive outputs give empty results', () =>
    tidy(() => {
      expect(maxPool2d(zeros([0, 2, 4, 4]), 2).output.shape).toEqual([0, 2, 2, 2]);
      expect(adaptiveAvgPool2d(x(), [0, 2]).shape).toEqual([1, 2, 0, 2]);
      expect(() => adaptiveAvgPool2d(zeros([1, 1, 0, 3]), 2)).toThrow(ShapeError);
    }));
});

describe('max_pool2d NaN and infinities', () => {
  it('NaN wins, -inf windows pick the first valid position', () =>
    tidy(() => {
      const x: Tensor = tensor([
        [
          [
            [1, Number.NaN, 3, -Infinity],
            [2, 0, -Infinity, -Infinity],
          ],
        ],
      ]);
      const { output, indices } = maxPool2d(x, 2);
      expect(Array.from(output.data())).toEqual([Number.NaN, 3]);
      expect(Array.from(indices.data())).toEqual([1, 2]);
    }));
});

describe('fixture tolerances', () => {
  it('half results of the pools and batch_norm are bit-exact (only exp/log ops allow 1 ulp)', () => {
    const all = loadFixture<{ op: string; dtype: string; tol: Record<string, unknown> }>('nn').cases;
    const half = all.filter((c) => c.dtype === 'float16' || c.dtype === 'bfloat16');
    for (const c of half.filter((c) => c.op.includes('pool'))) expect(c.tol).toEqual({});
    for (const c of half.filter((c) => c.op === 'batch_norm')) {
      expect(c.tol.out).toEqual({});
      expect(c.tol.grad).toEqual({});
    }
    for (const c of half.filter((c) => c.op === 'log_softmax')) expect(c.tol).toEqual({ ulps: 1 });
  });
});
