import type { Tensor } from '@mantissa/tensor';
import { reluBackward, where } from '@mantissa/tensor';
import { registerGradient } from '../registry';

/** Elementwise unary ops, as PyTorch's derivatives.yaml (same operations, so the same half roundings). */

registerGradient('neg', (g) => [g.neg()]);

// sign(x) * g, with sign(0) = 0.
registerGradient('abs', (g, ctx) => {
  const x = ctx.input(0);
  return [where(x.gt(0), g, where(x.lt(0), g.neg(), 0))];
});

// PyTorch's threshold_backward on the result, one fused pass: no gradient where the output is <= 0.
registerGradient('relu', (g, ctx) => [reluBackward(g, ctx.output(0))]);

registerGradient('exp', (g, ctx) => [g.mul(ctx.output(0))]);

registerGradient('log', (g, ctx) => [g.div(ctx.input(0))]);

registerGradient('sqrt', (g, ctx) => [g.div(ctx.output(0).mul(2))]);

// -0.5 * g * y^3
registerGradient('rsqrt', (g, ctx) => {
  const y = ctx.output(0);
  return [g.mul(-0.5).mul(y.mul(y).mul(y))];
});

registerGradient('sigmoid', (g, ctx) => {
  const y = ctx.output(0);
  return [g.mul(y.neg().add(1)).mul(y)];
});

registerGradient('tanh', (g, ctx) => {
  const y = ctx.output(0);
  return [g.mul(y.mul(y).neg().add(1))];
});

/** The gradient passes where min <= x <= max (a NaN x gets none), as PyTorch's clamp_backward. */
registerGradient('clamp', (g, ctx) => {
  const [hasMin, min, hasMax, max] = ctx.attr<number[]>('attrs');
  const x = ctx.input(0);
  let r: Tensor = g;
  if (hasMin) r = where(x.ge(min!), r, 0);
  if (hasMax) r = where(x.le(max!), r, 0);
  return [r];
});
