import { dropoutBackward } from '@mantissa/tensor';
import { registerGradient } from '../registry';

// Training: the forward's mask (output 1) and scale; eval: the identity.
registerGradient('dropout', (g, ctx) =>
  ctx.attr<boolean>('training') ? [dropoutBackward(g, ctx.output(1), ctx.attr<number>('p'))] : [g],
);
