import { join } from 'node:path';
import { type Tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { crossEntropy, loadSafetensors, simpleCnn } from '../src/index';
import { expectClose, type FixtureTensor, fromFixture, loadFixture, valuesOf } from './helpers';

/**
 * Issue 4's golden test: fastai v1's simple_cnn((3, 16, 16, 2)) with PyTorch's weights, one batch of 64,
 * cross-entropy loss and every parameter gradient, against PyTorch (fixtures/gen_golden.py), in float32
 * and in float16 (model and input half, output cast to float32 before the loss, as fastai's
 * MixedPrecision with loss_fp32).
 */
interface Golden {
  keys: string[];
  x: FixtureTensor;
  target: FixtureTensor;
  float32: { loss: FixtureTensor; grads: Record<string, FixtureTensor> };
  float16: { loss: FixtureTensor; grads: Record<string, FixtureTensor> };
}

const golden = loadFixture<Golden>('golden');

/** The largest |value|, so that a tolerance can be relative to the tensor's scale. */
const scale = (f: FixtureTensor) => {
  const t = fromFixture(f);
  const m = valuesOf(t).reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  t.dispose();
  return m;
};

describe('golden: simpleCnn([3, 16, 16, 2]) forward and backward against PyTorch', () => {
  for (const dtype of ['float32', 'float16'] as const) {
    it(dtype, () => {
      const model = simpleCnn([3, 16, 16, 2]);
      // PyTorch's checkpoint, read from a safetensors file, loads into the model under its own keys.
      const weights = loadSafetensors(join(__dirname, 'fixtures', 'golden_weights.safetensors'));
      expect(Object.keys(weights).sort()).toEqual([...golden.keys].sort());
      model.loadStateDict(weights);
      for (const t of Object.values(weights)) t.dispose();
      if (dtype === 'float16') model.half();
      const expected = golden[dtype];
      tidy(() => {
        const x32 = fromFixture(golden.x);
        const x = dtype === 'float16' ? x32.half() : x32;
        const logits = model.forward(x).float();
        const loss = crossEntropy(logits, fromFixture(golden.target));
        // float32 accumulates in another order than PyTorch's CPU kernels (observed: 1e-7 relative on
        // the loss, 3e-6 of each gradient's scale). float16 rounds every op's output to half as PyTorch's
        // GPU kernels do, so nearly every gradient element is bit-identical; the few that are not come
        // from a 1-ulp difference upstream (observed: 9 of 3,058, within 2e-4 of the scale).
        const [lossTol, rel] = dtype === 'float32' ? [1e-6, 1e-5] : [3e-5, 1e-3];
        expectClose(loss, expected.loss, { rtol: lossTol }, 'loss');
        loss.backward();
        let differ = 0;
        for (const [k, p] of model.namedParameters()) {
          const want = expected.grads[k]!;
          expect(p.grad, k).not.toBe(null);
          expect(p.grad!.dtype, k).toBe(dtype);
          expectClose(p.grad as Tensor, want, { atol: rel * scale(want) }, `${k} grad (${dtype})`);
          const a = valuesOf(p.grad as Tensor);
          const e = fromFixture(want);
          differ += valuesOf(e).filter((v, i) => v !== a[i]).length;
        }
        if (dtype === 'float16') expect(differ).toBeLessThanOrEqual(30);
      });
      model.dispose();
    });
  }
});
