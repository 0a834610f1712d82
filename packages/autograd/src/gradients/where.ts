import { where } from '@mantissa/tensor';
import { registerGradient } from '../registry';
import { byOperand, operandSlots } from './operands';

// Inputs are [condition, a?, b?]: the gradient goes to a where the condition holds, to b elsewhere.
registerGradient('where', (g, ctx) => {
  const { ia, ib } = operandSlots(ctx, 1);
  const cond = ctx.input(0);
  return byOperand(
    ctx,
    ia,
    ib,
    () => where(cond, g, 0),
    () => where(cond, 0, g),
  );
});
