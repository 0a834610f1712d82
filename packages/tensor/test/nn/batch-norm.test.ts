// batch_norm vs PyTorch (test/fixtures/gen_nn.py): training with running-stat updates, untracked,
// eval, affine=false; 2-D/3-D/4-D inputs, batch 1, non-contiguous inputs, every float dtype with
// float32 parameters for half inputs (the batchnorm-fp32 policy); gradients vs torch autograd and
// float64 central differences; argument errors.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  batchNorm,
  batchNormBackward,
  DTypeError,
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

interface Case {
  op: string;
  name: string;
  x: FixtureTensor;
  view?: NnView[];
  grad: FixtureTensor;
  inputs?: Record<string, FixtureTensor>;
  params: { training: boolean; momentum: number; eps: number };
  expected: Record<string, FixtureTensor>;
  tol: { out: Tolerance; stat: Tolerance; grad: Tolerance; param_grad: Tolerance };
}

const cases = loadFixture<Case>('nn').cases.filter((c) => c.op === 'batch_norm');
const opt = (f: FixtureTensor | undefined): Tensor | undefined => (f ? fromFixture(f) : undefined);

describe('batch_norm vs PyTorch', () => {
  it('has cases', () => expect(cases.length).toBe(40));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) =>
    tidy(() => {
      const x = nnInput(c.x, c.view);
      const inputs = c.inputs ?? {};
      const weight = opt(inputs.weight);
      const runningMean = opt(inputs.running_mean);
      const runningVar = opt(inputs.running_var);
      const { output, saveMean, saveInvstd } = batchNorm(x, {
        weight,
        bias: opt(inputs.bias),
        runningMean,
        runningVar,
        ...c.params,
      });
      const e = c.expected;
      expectMatches(output, e.output!, c.tol.out, `${c.name} output`);
      expectMatches(saveMean, e.save_mean!, c.tol.stat, `${c.name} save_mean`);
      expectMatches(saveInvstd, e.save_invstd!, c.tol.stat, `${c.name} save_invstd`);
      if (e.running_mean) {
        expectMatches(runningMean!, e.running_mean, c.tol.stat, `${c.name} running_mean`);
        expectMatches(runningVar!, e.running_var!, c.tol.stat, `${c.name} running_var`);
      }
      const g = batchNormBackward(fromFixture(c.grad), x, saveMean, saveInvstd, {
        weight,
        training: c.params.training || runningMean === undefined,
      });
      expectMatches(g.gradInput, e.grad_input!, c.tol.grad, `${c.name} grad_input`);
      if (e.grad_weight) {
        expectMatches(g.gradWeight, e.grad_weight, c.tol.param_grad, `${c.name} grad_weight`);
        expectMatches(g.gradBias, e.grad_bias!, c.tol.param_grad, `${c.name} grad_bias`);
      }
    }),
  );
});

describe('batch_norm backward vs float64 central differences', () => {
  const shape = [3, 2, 2, 3];
  const x0 = distinctValues(36);
  const u = distinctValues(36, 11);
  const w0 = new Float64Array([0.7, 1.3]);
  const b0 = new Float64Array([0.1, -0.2]);
  const f64 = (v: Float64Array, s: number[]) => tensor(v, { dtype: 'float64', shape: s });

  for (const training of [true, false]) {
    it(`${training ? 'training' : 'eval'}: grad_input, grad_weight, grad_bias`, () =>
      tidy(() => {
        const rm = new Float64Array([0.2, -0.1]);
        const rv = new Float64Array([0.8, 1.5]);
        const run = (x: Tensor, w: Float64Array, b: Float64Array) =>
          batchNorm(x, {
            weight: f64(w, [2]),
            bias: f64(b, [2]),
            runningMean: f64(rm, [2]),
            runningVar: f64(rv, [2]),
            training,
            eps: 1e-3,
          });
        const fwd = run(f64(x0, shape), w0, b0);
        const g = batchNormBackward(f64(u, shape), f64(x0, shape), fwd.saveMean, fwd.saveInvstd, {
          weight: f64(w0, [2]),
          training,
        });
        finiteDifference(x0, shape, (x) => run(x, w0, b0).output, u, g.gradInput.data() as Float64Array);
        finiteDifference(
          w0,
          [2],
          (w) => run(f64(x0, shape), w.data() as Float64Array, b0).output,
          u,
          g.gradWeight.data() as Float64Array,
        );
        finiteDifference(
          b0,
          [2],
          (b) => run(f64(x0, shape), w0, b.data() as Float64Array).output,
          u,
          g.gradBias.data() as Float64Array,
        );
      }));
  }
  it('BatchNorm1d (N, C) without affine parameters', () =>
    tidy(() => {
      const v = distinctValues(12);
      const up = distinctValues(12, 3);
      const fwd = batchNorm(f64(v, [4, 3]), { training: true });
      const g = batchNormBackward(f64(up, [4, 3]), f64(v, [4, 3]), fwd.saveMean, fwd.saveInvstd, {
        training: true,
      });
      finiteDifference(
        v,
        [4, 3],
        (x) => batchNorm(x, { training: true }).output,
        up,
        g.gradInput.data() as Float64Array,
      );
    }));
});

describe('batch_norm policy and errors', () => {
  it('float16 input with float32 parameters: output float16, statistics float32', () =>
    tidy(() => {
      const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], { shape: [4, 2] }).half();
      const rm = zeros([2]);
      const rv = zeros([2]).add(1);
      const r = batchNorm(x, {
        weight: zeros([2]).add(2),
        bias: zeros([2]),
        runningMean: rm,
        runningVar: rv,
        training: true,
      });
      expect(r.output.dtype).toBe('float16');
      expect(r.saveMean.dtype).toBe('float32');
      expect(Array.from(r.saveMean.data())).toEqual([4, 5]);
      expect(Array.from(rm.data())).toEqual([Math.fround(0.4), Math.fround(0.5)]);
      // unbiased variance of [1, 3, 5, 7] is 20/3
      expect(rv.data()[0]).toBeCloseTo(0.9 + 0.1 * (20 / 3), 6);
      const g = batchNormBackward(zeros([4, 2]).half(), x, r.saveMean, r.saveInvstd, {
        weight: zeros([2]).add(2),
      });
      expect(g.gradInput.dtype).toBe('float16');
      expect(g.gradWeight.dtype).toBe('float32');
    }));
  it('channel mismatches, dims, dtypes and options are clear errors', () =>
    tidy(() => {
      const x = zeros([2, 3, 4]);
      expect(() => batchNorm(x, { weight: zeros([4]) })).toThrow(
        /batch_norm: expected weight shape \(one value per channel of the input\) \[3\], got \[4\]/,
      );
      expect(() => batchNorm(x, { bias: zeros([3, 1]) })).toThrow(ShapeError);
      expect(() => batchNorm(x, { runningMean: zeros([3]) })).toThrow(ArgumentError);
      expect(() => batchNorm(zeros([3]), {})).toThrow(/batch_norm: expected input of at least 2 dims/);
      expect(() => batchNorm(zeros([1, 3]), { training: true })).toThrow(/more than 1 value per channel/);
      expect(() => batchNorm(x.int(), {})).toThrow(DTypeError);
      expect(() => batchNorm(x, { eps: -1 })).toThrow(ArgumentError);
      expect(() => batchNorm(x, { momentum: Number.NaN })).toThrow(ArgumentError);
      expect(() => batchNorm(x, { training: 1 as unknown as boolean })).toThrow(ArgumentError);
      expect(() => batchNorm(x, { weight: zeros([3], { dtype: 'int32' }) })).toThrow(DTypeError);
      const s = zeros([3]);
      expect(() => batchNormBackward(zeros([2, 3, 5]), x, s, s)).toThrow(ShapeError);
      expect(() => batchNormBackward(zeros([2, 3, 4]).half(), x, s, s)).toThrow(DTypeError);
      expect(() => batchNormBackward(zeros([2, 3, 4]), x, zeros([2]), s)).toThrow(ShapeError);
    }));
  it('eval mode with running stats accepts a single value per channel', () =>
    tidy(() => {
      const r = batchNorm(tensor([[3, 5]]), {
        runningMean: tensor([1, 1]),
        runningVar: tensor([4, 16]),
        eps: 0,
      });
      expect(Array.from(r.output.data())).toEqual([1, 1]);
    }));
});
