import { batchNormBackward, type Tensor } from '@mantissa/tensor';
import { registerGradient } from '../registry';

/**
 * From the saved batch statistics (outputs 1 and 2). Each gradient comes in its tensor's dtype: a
 * float16 input with float32 weight and bias gets a float16 input gradient and float32 parameter ones.
 */
registerGradient('batch_norm', (g, ctx) => {
  const hasWeight = ctx.attr<boolean>('hasWeight');
  const hasBias = ctx.attr<boolean>('hasBias');
  const r = batchNormBackward(g, ctx.input(0), ctx.output(1), ctx.output(2), {
    weight: hasWeight ? ctx.input(1) : null,
    training: ctx.attr<boolean>('training'),
  });
  const grads: (Tensor | null)[] = [r.gradInput];
  if (hasWeight) grads.push(r.gradWeight);
  if (hasBias) grads.push(r.gradBias);
  return grads;
});
