import type { Reduction } from '@mantissa/tensor';
import { crossEntropyBackward } from '@mantissa/tensor';
import { registerGradient } from '../registry';

// The logits' gradient in their own dtype (the loss is float32); the int32 targets get none.
registerGradient('cross_entropy', (g, ctx) => [
  crossEntropyBackward(g, ctx.input(0), ctx.input(1), {
    reduction: ctx.attr<Reduction>('reduction'),
    ignoreIndex: ctx.attr<number>('ignoreIndex'),
  }),
  null,
]);
