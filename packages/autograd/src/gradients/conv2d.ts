import { conv2dBackwardBias, conv2dBackwardInput, conv2dBackwardWeight } from '@mantissa/tensor';
import { registerGradient } from '../registry';

// The tensor package's conv2d backward kernels, with the forward's stride, padding, dilation and groups.
registerGradient('conv2d', (g, ctx) => {
  const options = {
    stride: ctx.attr<[number, number]>('stride'),
    padding: ctx.attr<[number, number]>('padding'),
    dilation: ctx.attr<[number, number]>('dilation'),
    groups: ctx.attr<number>('groups'),
  };
  return [
    ctx.needsGrad(0) ? conv2dBackwardInput(g, ctx.input(1), ctx.inputShape(0), options) : null,
    ctx.needsGrad(1) ? conv2dBackwardWeight(g, ctx.input(0), ctx.inputShape(1), options) : null,
    ...(ctx.attr<boolean>('bias') ? [ctx.needsGrad(2) ? conv2dBackwardBias(g) : null] : []),
  ];
});
