import { gradcheck, noGrad } from '@mantissa/autograd';
import { memory, randn, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { bceWithLogits, crossEntropy, mseLoss, nllLoss } from '../src/index';
import {
  expectClose,
  fromFixture,
  type LossCase,
  loadLossCases,
  runLoss,
  type Tolerance,
} from './helpers/loss-fixtures';

const f64 = (shape: number[], scale = 1): Tensor =>
  noGrad(() => randn(shape, { dtype: 'float64' }).mul(scale)).requiresGrad_();
const leaf = (values: number[], shape?: number[]): Tensor =>
  tensor(new Float64Array(values), { shape }).requiresGrad_();
const classes = (v: number[], shape?: number[]) => tensor(new Int32Array(v), { shape });
const REDUCTIONS = ['none', 'mean', 'sum'] as const;

describe('the losses pass gradcheck in float64', () => {
  for (const reduction of REDUCTIONS) {
    it(`crossEntropy ${reduction}: (N, C), K-dim, unbatched, ignored targets`, () => {
      const t = classes([2, -100, 0, 4]);
      expect(gradcheck((x) => crossEntropy(x, t, { reduction }), [f64([4, 5], 2)])).toBe(true);
      const tk = classes([0, 2, 1, 1, 2, 0], [2, 3]);
      expect(gradcheck((x) => crossEntropy(x, tk, { reduction }), [f64([2, 3, 3])])).toBe(true);
      const t0 = classes([3], []);
      expect(gradcheck((x) => crossEntropy(x, t0, { reduction }), [f64([5])])).toBe(true);
    });

    it(`nllLoss ${reduction}: (N, C), K-dim, ignoreIndex inside 0..C-1`, () => {
      const t = classes([2, 1, 0, 2]);
      expect(gradcheck((x) => nllLoss(x, t, { reduction, ignoreIndex: 1 }), [f64([4, 3])])).toBe(true);
      const tk = classes([0, 2, -100, 1], [2, 2]);
      expect(gradcheck((x) => nllLoss(x, tk, { reduction }), [f64([2, 3, 2])])).toBe(true);
    });

    it(`mseLoss ${reduction}: input and target`, () => {
      expect(gradcheck((x, y) => mseLoss(x, y, { reduction }), [f64([3, 4], 2), f64([3, 4])])).toBe(true);
    });

    it(`bceWithLogits ${reduction}: logits and soft targets, through 0 and the log1p tails`, () => {
      const x = leaf([-40, -20, -3, -0.5, 0, 0, 0.25, 2, 17, 40]);
      const y = leaf([0, 1, 0.3, 1, 0, 1, 0.5, 0, 1, 0.9]);
      expect(gradcheck((a, b) => bceWithLogits(a, b, { reduction }), [x, y])).toBe(true);
    });

    it(`bceWithLogits ${reduction}: posWeight as a tensor (its gradient too) and as a number`, () => {
      const pw = leaf([0.5, 2, 3]);
      const check = (a: Tensor, b: Tensor, p: Tensor) => bceWithLogits(a, b, { reduction, posWeight: p });
      expect(gradcheck(check, [f64([4, 3], 3), f64([4, 3]), pw])).toBe(true);
      const x = leaf([-2, 0, 0.5, 3]);
      const y = leaf([1, 1, 0, 0.5]);
      expect(gradcheck((a, b) => bceWithLogits(a, b, { reduction, posWeight: 2.5 }), [x, y])).toBe(true);
    });
  }
});

describe('bceWithLogits gradient at x = 0 is sigmoid(0) - y', () => {
  it('for y in {0, 0.25, 1}', () => {
    const x = tensor([0, 0, 0]).requiresGrad_();
    const y = tensor([0, 0.25, 1]);
    bceWithLogits(x, y, { reduction: 'sum' }).backward();
    expect(Array.from(x.grad!.data())).toEqual([0.5, 0.25, -0.5]);
  });
});

// Composed formulas round differently from PyTorch's fused backward kernels: a few float32 ulps;
// half gradients round once from float32, so at most 1 ulp of the half type.
function gradTolerance(c: LossCase, dtype: string): Tolerance {
  if (dtype === 'float64') return { rtol: 1e-10, atol: 1e-14 };
  if (dtype === 'float16' || dtype === 'bfloat16') return { ulps: 1 };
  // crossEntropy: the tensor package's fused kernel; softmax from exp(x - logsumexp) carries the
  // logsumexp's rounding as a relative error (measured up to ~6e-7).
  if (c.op === 'crossEntropy') return { rtol: 2e-6, atol: 1e-9 };
  return c.op === 'bceWithLogits' ? { rtol: 2e-6, atol: 1e-7 } : { ulps: 4 };
}

describe('loss gradients match PyTorch (losses.json)', () => {
  for (const c of loadLossCases()) {
    it(`${c.op}: ${c.options.name}`, () => {
      tidy(() => {
        const inputs = Object.fromEntries(
          Object.entries(c.inputs).map(([k, v]) => {
            const t = fromFixture(v);
            return [k, c.grads[k] ? t.requiresGrad_() : t];
          }),
        );
        const loss = runLoss(c, inputs);
        loss.backward(c.seed ? fromFixture(c.seed) : undefined);
        for (const [name, want] of Object.entries(c.grads)) {
          expectClose(
            inputs[name]!.grad!,
            want,
            gradTolerance(c, want.dtype),
            `${c.op} ${c.options.name} d${name}`,
          );
        }
      });
    });
  }
});

describe('losses under autograd', () => {
  it('a half input gets a half gradient from the float32 loss', () => {
    const x = tensor([[1, -2, 0.5]], { dtype: 'bfloat16' }).requiresGrad_();
    const loss = crossEntropy(x, classes([1]));
    expect(loss.dtype).toBe('float32');
    expect(loss.requiresGrad).toBe(true);
    loss.backward();
    expect(x.grad!.dtype).toBe('bfloat16');
  });

  it('keeps the intermediates the graph needs, and tidy frees them', () => {
    const before = memory().numTensors;
    const grad = tidy(() => {
      const x = randn([3, 4]).requiresGrad_();
      const y = randn([3, 4]);
      const loss = bceWithLogits(x, y, { posWeight: 2 });
      loss.backward();
      return x.grad!;
    });
    expect(grad.shape).toEqual([3, 4]);
    grad.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
