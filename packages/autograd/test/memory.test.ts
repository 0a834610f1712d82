import { linear, manualSeed, memory, randn, type Tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { noGrad, zeroGrad } from '../src/index';

/**
 * A long run must have flat memory: every step's graph, intermediate gradients and temporaries are
 * freed by the step's tidy(), and only the parameters and their .grad survive (then zeroGrad drops those).
 */
describe('memory over a long training run', () => {
  it('is the same after step 100 and after step 10,000 (forward, backward, SGD in noGrad, zeroGrad)', () => {
    manualSeed(0);
    const x = randn([8, 4]);
    const y = randn([8, 1]);
    const params = [randn([16, 4]).mul(0.5), randn([16]), randn([1, 16]).mul(0.25), randn([1])];
    for (const p of params) p.requiresGrad_();
    const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
    const step = (): number =>
      tidy(() => {
        const h = linear(x, w1, b1).relu();
        const d = linear(h, w2, b2).sub(y);
        const loss = d.mul(d).mean();
        loss.backward();
        noGrad(() => {
          for (const p of params) p.sub_(p.grad!.mul(0.01));
        });
        zeroGrad(params);
        return loss.item() as number;
      });
    let first = 0;
    let last = 0;
    let at100 = memory();
    for (let i = 1; i <= 10_000; i++) {
      const loss = step();
      if (i === 1) first = loss;
      if (i === 100) at100 = memory();
      last = loss;
    }
    const at10k = memory();
    expect({ t: at10k.numTensors, s: at10k.numStorages, b: at10k.numBytes }).toEqual({
      t: at100.numTensors,
      s: at100.numStorages,
      b: at100.numBytes,
    });
    // The run actually trained (so the steps did real work).
    expect(last).toBeLessThan(first * 0.5);
  });
});
