// log_softmax and cross_entropy vs PyTorch (test/fixtures/gen_nn.py), forward and backward, every float
// dtype, odd sizes, batch 1, non-contiguous inputs, infinities, ignore_index; float64 finite differences
// of both backwards; argument errors.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  AxisError,
  crossEntropy,
  crossEntropyBackward,
  DTypeError,
  KernelError,
  logSoftmax,
  logSoftmaxBackward,
  type Reduction,
  ShapeError,
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

interface Case {
  op: string;
  name: string;
  x: FixtureTensor;
  view?: NnView[];
  grad?: FixtureTensor;
  inputs?: Record<string, FixtureTensor>;
  params: { dim?: number; reduction?: Reduction; ignoreIndex?: number };
  expected: Record<string, FixtureTensor>;
  tol: Tolerance & { loss?: Tolerance; grad?: Tolerance };
}

const cases = loadFixture<Case>('nn').cases;
const byOp = (op: string) => cases.filter((c) => c.op === op);

describe('log_softmax vs PyTorch', () => {
  it('has cases', () => expect(byOp('log_softmax').length).toBe(32));
  it.each(byOp('log_softmax').map((c) => [c.name, c] as const))('%s', (_, c) =>
    tidy(() => {
      const x = nnInput(c.x, c.view);
      const out = logSoftmax(x, c.params.dim!);
      expectMatches(out, c.expected.output!, c.tol, `${c.name} output`);
      if (c.grad) {
        const g = logSoftmaxBackward(fromFixture(c.grad), out, c.params.dim!);
        expectMatches(g, c.expected.grad_input!, c.tol, `${c.name} grad`);
      }
    }),
  );
});

describe('cross_entropy vs PyTorch', () => {
  it('has cases', () => expect(byOp('cross_entropy').length).toBe(72));
  it.each(byOp('cross_entropy').map((c) => [c.name, c] as const))('%s', (_, c) =>
    tidy(() => {
      const x = nnInput(c.x, c.view);
      const target = fromFixture(c.inputs!.target!);
      const opts = { reduction: c.params.reduction!, ignoreIndex: c.params.ignoreIndex! };
      expectMatches(crossEntropy(x, target, opts), c.expected.loss!, c.tol.loss, `${c.name} loss`);
      const g = crossEntropyBackward(fromFixture(c.grad!), x, target, opts);
      expectMatches(g, c.expected.grad_logits!, c.tol.grad, `${c.name} grad`);
    }),
  );
});

describe('backwards vs float64 central differences', () => {
  it('log_softmax over dim 0 and dim 1', () =>
    tidy(() => {
      const x0 = distinctValues(12);
      const u = distinctValues(12, 5);
      for (const dim of [0, 1]) {
        const out = logSoftmax(tensor(x0, { dtype: 'float64', shape: [3, 4] }), dim);
        const g = logSoftmaxBackward(tensor(u, { dtype: 'float64', shape: [3, 4] }), out, dim);
        finiteDifference(x0, [3, 4], (x) => logSoftmax(x, dim), u, g.data() as Float64Array);
      }
    }));
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`cross_entropy (${reduction}, one ignored target)`, () =>
      tidy(() => {
        const x0 = distinctValues(15).map((v) => v * 3);
        const target = tensor([1, -100, 4], { dtype: 'int32' });
        const u = reduction === 'none' ? distinctValues(3, 2) : new Float64Array([0.7]);
        const gl = tensor(u, { dtype: 'float64', shape: reduction === 'none' ? [3] : [] });
        const x = tensor(x0, { dtype: 'float64', shape: [3, 5] });
        const g = crossEntropyBackward(gl, x, target, { reduction });
        finiteDifference(
          x0,
          [3, 5],
          (v) => crossEntropy(v, target, { reduction }),
          u,
          g.data() as Float64Array,
        );
      }));
  }
});

describe('cross_entropy semantics', () => {
  it('the loss is float32 for half logits and float64 for float64 logits', () =>
    tidy(() => {
      const t = tensor([0, 1], { dtype: 'int32' });
      expect(crossEntropy(zeros([2, 3], { dtype: 'float16' }), t).dtype).toBe('float32');
      expect(crossEntropy(zeros([2, 3], { dtype: 'bfloat16' }), t).dtype).toBe('float32');
      expect(crossEntropy(zeros([2, 3], { dtype: 'float64' }), t).dtype).toBe('float64');
      expect(crossEntropy(zeros([2, 3]), t).item()).toBeCloseTo(Math.log(3), 6);
    }));
  it('mean over no counted target is NaN with zero gradients; an empty batch too', () =>
    tidy(() => {
      const t = tensor([-100, -100], { dtype: 'int32' });
      expect(crossEntropy(zeros([2, 3]), t).item()).toBeNaN();
      expect(crossEntropy(zeros([2, 3]), t, { reduction: 'sum' }).item()).toBe(0);
      expect(Array.from(crossEntropyBackward(tensor(1), zeros([2, 3]), t).data())).toEqual([
        0, 0, 0, 0, 0, 0,
      ]);
      expect(crossEntropy(zeros([0, 3]), zeros([0], { dtype: 'int32' })).item()).toBeNaN();
    }));
});

describe('argument errors', () => {
  it('a target out of range is a clear error, not a crash', () =>
    tidy(() => {
      const x = zeros([3, 4]);
      expect(() => crossEntropy(x, tensor([0, 4, 1], { dtype: 'int32' }))).toThrow(
        /cross_entropy: target 4 at index 1 is out of range for 4 classes \(expected 0\.\.3 or ignore_index -100\)/,
      );
      expect(() => crossEntropy(x, tensor([0, -1, 1], { dtype: 'int32' }))).toThrow(KernelError);
      expect(() => crossEntropyBackward(tensor(1), x, tensor([0, 9, 1], { dtype: 'int32' }))).toThrow(
        KernelError,
      );
    }));
  it('shapes, dtypes and options are checked', () =>
    tidy(() => {
      const x = zeros([3, 4]);
      const t = tensor([0, 1, 2], { dtype: 'int32' });
      expect(() => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }))).toThrow(
        /cross_entropy: expected target shape .*\[3\], got \[2\]/,
      );
      expect(() => crossEntropy(x, t.float())).toThrow(DTypeError);
      expect(() => crossEntropy(zeros([3, 4, 2]), t)).toThrow(ShapeError);
      expect(() => crossEntropy(x, t, { reduction: 'avg' as Reduction })).toThrow(ArgumentError);
      expect(() => crossEntropy(x, t, { ignoreIndex: 0.5 })).toThrow(ArgumentError);
      expect(() => crossEntropy(x.int(), t)).toThrow(DTypeError);
      expect(() => crossEntropyBackward(zeros([3]), x, t)).toThrow(ShapeError);
      expect(() => crossEntropyBackward(tensor(1, { dtype: 'float16' }), x, t)).toThrow(DTypeError);
      expect(() => logSoftmax(x, 2)).toThrow(AxisError);
      expect(() => logSoftmax(x.int(), 1)).toThrow(DTypeError);
      expect(() => logSoftmaxBackward(zeros([3, 3]), x, 1)).toThrow(ShapeError);
      expect(() => logSoftmax('x' as unknown as typeof x, 0)).toThrow(ArgumentError);
    }));
  it('0-d and empty inputs', () =>
    tidy(() => {
      expect(logSoftmax(tensor(3), 0).item()).toBe(0);
      expect(logSoftmax(zeros([0, 3]), 1).shape).toEqual([0, 3]);
      expect(logSoftmax(zeros([2, 0]), 1).shape).toEqual([2, 0]);
    }));
});
