import { type Tensor, where } from '@mantissa/tensor';
import type { GradNode } from '../node';
import { registerGradient } from '../registry';

/**
 * In-place ops: input 0 is self, whose values the op overwrote, so these formulas never read it; they
 * use the output (self after the op) and the other operand. Input 0's gradient flows to self's history
 * before the op. mul_ by a tensor that requires grad is refused when recorded (it would need the old self).
 */

const other = (ctx: GradNode): Tensor | number =>
  ctx.numInputs > 1 ? ctx.input(1) : ctx.attr<number>('other');

registerGradient('add_', (g, ctx) => [g, ctx.numInputs > 1 ? g : null]);

registerGradient('sub_', (g, ctx) => [g, ctx.numInputs > 1 && ctx.needsGrad(1) ? g.neg() : null]);

registerGradient('mul_', (g, ctx) => [g.mul(other(ctx)), null]);

// self / b with self overwritten by the quotient q: d/db = -g * q / b.
registerGradient('div_', (g, ctx) => {
  const b = other(ctx);
  return [
    ctx.needsGrad(0) ? g.div(b) : null,
    ctx.numInputs > 1 && ctx.needsGrad(1) ? g.neg().mul(ctx.output(0).div(b)) : null,
  ];
});

// The old values of self are gone: only src gets a gradient, on src's device (copy_ crosses devices).
registerGradient('copy_', (g, ctx) => [null, g.device === ctx.inputDevice(1) ? g : g.to(ctx.inputDevice(1))]);

registerGradient('fill_', () => [null]);

/**
 * From the clamped output: the gradient passes where it lies strictly inside (min, max). A value that
 * was exactly at a bound before the op (where PyTorch passes it) is indistinguishable from a clamped one.
 */
registerGradient('clamp_', (g, ctx) => {
  const out = ctx.output(0);
  const min = ctx.attr<number | null | undefined>('min');
  const max = ctx.attr<number | null | undefined>('max');
  let r: Tensor = g;
  if (typeof min === 'number') r = where(out.gt(min), r, 0);
  if (typeof max === 'number') r = where(out.lt(max), r, 0);
  return [r];
});
