import { registerGradient } from '../registry';

/** The gradient of a cast is the output gradient cast back to the input's dtype. */
registerGradient('cast', (g, ctx) => [g.to(ctx.inputDType(0))]);

/**
 * `to` across devices (and maybe dtypes): the output gradient goes back to the input's device and dtype,
 * as torch's `to` backward does, so a leaf on the cpu gets a cpu gradient from a cuda graph.
 */
registerGradient('to', (g, ctx) => [g.to({ dtype: ctx.inputDType(0), device: ctx.inputDevice(0) })]);
