import { zeros } from '@mantissa/tensor';
import { registerGradient } from '../registry';

/** Views and copies: the gradient is the output gradient moved back into the input's layout. */

registerGradient('reshape', (g, ctx) => [g.reshape(ctx.inputShape(0))]);

registerGradient('permute', (g, ctx) => {
  const dims = ctx.attr<number[]>('dims');
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => {
    inverse[d] = i;
  });
  return [g.permute(inverse)];
});

// Zeros, with the gradient written into the sliced positions.
registerGradient('slice', (g, ctx) => {
  const out = zeros(ctx.inputShape(0), { dtype: g.dtype, device: g.device });
  out
    .slice(
      ctx.attr<number>('dim'),
      ctx.attr<number>('start'),
      ctx.attr<number>('end'),
      ctx.attr<number>('step'),
    )
    .copy_(g);
  return [out];
});

// The engine sums the gradient over the expanded dims (the inverse of broadcasting).
registerGradient('expand', (g) => [g]);

registerGradient('contiguous', (g) => [g]);

registerGradient('clone', (g) => [g]);
