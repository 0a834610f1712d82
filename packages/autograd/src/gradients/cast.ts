import { registerGradient } from '../registry';

/** The gradient of a cast is the output gradient cast back to the input's dtype. */
registerGradient('cast', (g, ctx) => [g.to(ctx.inputDType(0))]);
