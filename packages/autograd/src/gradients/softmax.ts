import { logSoftmaxBackward } from '@mantissa/tensor';
import { registerGradient } from '../registry';

registerGradient('log_softmax', (g, ctx) => [logSoftmaxBackward(g, ctx.output(0), ctx.attr<number>('dim'))]);
