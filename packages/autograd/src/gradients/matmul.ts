import type { Tensor } from '@mantissa/tensor';
import { registerGradient } from '../registry';

/** Matrix products: dA = dY · Bᵀ, dB = Aᵀ · dY, with broadcast batch dims summed by the engine. */

const t2 = (x: Tensor): Tensor => x.transpose(-2, -1);

registerGradient('matmul', (g, ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (a.ndim === 1 && b.ndim === 1)
    return [ctx.needsGrad(0) ? g.mul(b) : null, ctx.needsGrad(1) ? g.mul(a) : null];
  // A 1-D operand was a row (left) or column (right) vector whose unit dim the result dropped.
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  let g2 = a.ndim === 1 ? g.unsqueeze(-2) : g;
  if (b.ndim === 1) g2 = g2.unsqueeze(-1);
  const ga = ctx.needsGrad(0) ? g2.matmul(t2(b2)) : null;
  const gb = ctx.needsGrad(1) ? t2(a2).matmul(g2) : null;
  return [
    ga !== null && a.ndim === 1 ? ga.squeeze(-2) : ga,
    gb !== null && b.ndim === 1 ? gb.squeeze(-1) : gb,
  ];
});

registerGradient('bmm', (g, ctx) => [
  ctx.needsGrad(0) ? g.matmul(t2(ctx.input(1))) : null,
  ctx.needsGrad(1) ? t2(ctx.input(0)).matmul(g) : null,
]);

// y = x · wᵀ + bias: dx = dy · w, dw = dyᵀ · x over all leading dims, dbias = dy summed (by the engine).
registerGradient('linear', (g, ctx) => {
  const w = ctx.inputShape(1);
  const gx = ctx.needsGrad(0) ? g.matmul(ctx.input(1)) : null;
  const gw = ctx.needsGrad(1) ? g.reshape([-1, w[0]!]).T.matmul(ctx.input(0).reshape([-1, w[1]!])) : null;
  const grads: (Tensor | null)[] = [gx, gw];
  if (ctx.attr<boolean>('bias')) grads.push(ctx.needsGrad(2) ? g : null);
  return grads;
});
