import { linear, manualSeed, memory, randn, tidy } from '@mantissa/tensor';
import { expect, it } from 'vitest';
import { gradcheck, noGrad, zeroGrad } from '../src/index';

// The README's example, as written (only the package import is local).
it('runs the README example', () => {
  manualSeed(0);
  const x = randn([8, 3]);
  const y = randn([8, 1]);
  const w = randn([1, 3]).requiresGrad_();
  const b = randn([1]).requiresGrad_();

  for (let step = 0; step < 100; step++) {
    tidy(() => {
      const d = linear(x, w, b).sub(y);
      d.mul(d).mean().backward(); // w.grad and b.grad outlive the tidy; everything else is freed
      noGrad(() => {
        w.sub_(w.grad!.mul(0.1)); // in-place writes to parameters belong in noGrad
        b.sub_(b.grad!.mul(0.1));
      });
      zeroGrad([w, b]);
    });
  }
  console.log(memory().numTensors); // x, y, w, b: 4, after any number of steps

  // Every formula is checked against central differences in float64:
  const a = randn([2, 3], { dtype: 'float64' }).requiresGrad_();
  gradcheck((t) => t.tanh().mul(t).sum(1), [a]); // true, or throws GradcheckError

  expect(memory().numTensors).toBe(4 + 1);
});
