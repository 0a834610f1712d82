import type { Tensor } from '@mantissa/tensor';
import { where } from '@mantissa/tensor';
import type { GradNode } from '../node';
import { registerGradient } from '../registry';

/** The input shape with each reduced axis kept as 1: what the output gradient broadcasts from. */
function keptShape(ctx: GradNode): number[] {
  const axes = ctx.attr<number[]>('axes');
  return ctx.inputShape(0).map((s, i) => (axes.includes(i) ? 1 : s));
}

/** The reduced output (or its gradient) viewed with the reduced axes kept, to broadcast over the input. */
const kept = (t: Tensor, ctx: GradNode): Tensor => t.reshape(keptShape(ctx));

function count(ctx: GradNode): number {
  const shape = ctx.inputShape(0);
  return ctx.attr<number[]>('axes').reduce((n, a) => n * shape[a]!, 1);
}

registerGradient('sum', (g, ctx) => [kept(g, ctx).expand(ctx.inputShape(0))]);

registerGradient('mean', (g, ctx) => [kept(g, ctx).div(count(ctx)).expand(ctx.inputShape(0))]);

/**
 * max/min over axes (PyTorch's amax/amin): the gradient is shared evenly between the elements that
 * equal the extremum, so ties split it instead of picking one.
 */
function extremum(g: Tensor, ctx: GradNode): Tensor[] {
  const x = ctx.input(0);
  const hit = x.eq(kept(ctx.output(0), ctx));
  const n = hit.sum(ctx.attr<number[]>('axes'), true);
  return [where(hit, kept(g, ctx), 0).div(n)];
}
registerGradient('max', extremum);
registerGradient('min', extremum);

// 2 / (N - correction) * g * (x - mean)
registerGradient('var', (g, ctx) => {
  const x = ctx.input(0);
  const axes = ctx.attr<number[]>('axes');
  const [correction] = ctx.attr<number[]>('extra');
  const diff = x.sub(x.mean(axes, true));
  return [
    kept(g, ctx)
      .mul(2 / (count(ctx) - correction!))
      .mul(diff),
  ];
});
