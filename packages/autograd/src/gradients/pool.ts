import { adaptiveAvgPool2dBackward, avgPool2dBackward, maxPool2dBackward } from '@mantissa/tensor';
import { registerGradient } from '../registry';

// Max pooling scatters the gradient to the argmax positions the forward returned (output 1).
registerGradient('max_pool2d', (g, ctx) => [
  maxPool2dBackward(g, ctx.input(0), ctx.output(1), ctx.attr<[number, number]>('kernel'), {
    stride: ctx.attr<[number, number]>('stride'),
    padding: ctx.attr<[number, number]>('padding'),
    dilation: ctx.attr<[number, number]>('dilation'),
    ceilMode: ctx.attr<boolean>('ceilMode'),
  }),
]);

registerGradient('avg_pool2d', (g, ctx) => [
  avgPool2dBackward(g, ctx.input(0), ctx.attr<[number, number]>('kernel'), {
    stride: ctx.attr<[number, number]>('stride'),
    padding: ctx.attr<[number, number]>('padding'),
    ceilMode: ctx.attr<boolean>('ceilMode'),
    countIncludePad: ctx.attr<boolean>('countIncludePad'),
  }),
]);

registerGradient('adaptive_avg_pool2d', (g, ctx) => [adaptiveAvgPool2dBackward(g, ctx.input(0))]);
