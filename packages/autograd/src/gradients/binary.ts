import { div, eq, gt, lt, mul, pow, type Tensor, where } from '@mantissa/tensor';
import { registerGradient } from '../registry';
import { byOperand, operandSlots, operands } from './operands';

/**
 * Elementwise binary ops, as PyTorch's derivatives.yaml. Gradients keep the output's broadcast shape:
 * the engine sums them back to each operand's shape.
 */

registerGradient('add', (g, ctx) => {
  const { ia, ib } = operandSlots(ctx);
  return byOperand(
    ctx,
    ia,
    ib,
    () => g,
    () => g,
  );
});

registerGradient('sub', (g, ctx) => {
  const { ia, ib } = operandSlots(ctx);
  return byOperand(
    ctx,
    ia,
    ib,
    () => g,
    () => g.neg(),
  );
});

registerGradient('mul', (g, ctx) => {
  const { a, b, ia, ib } = operands(ctx);
  return byOperand(
    ctx,
    ia,
    ib,
    () => mul(g, b),
    () => mul(g, a),
  );
});

// d(a/b)/db = -(a/b)/b, in PyTorch's order of operations (it decides half roundings).
registerGradient('div', (g, ctx) => {
  const { a, b, ia, ib } = operands(ctx);
  return byOperand(
    ctx,
    ia,
    ib,
    () => div(g, b),
    () => g.neg().mul(div(div(a, b), b)),
  );
});

registerGradient('pow', (g, ctx) => {
  const { a, b, ia, ib } = operands(ctx);
  return byOperand(
    ctx,
    ia,
    ib,
    // b * a^(b-1), and 0 where b == 0 (a^-1 would give inf * 0 at a == 0).
    () => {
      if (typeof b === 'number') return b === 0 ? g.mul(0) : g.mul(mul(pow(a, b - 1), b));
      return where(b.eq(0), 0, g.mul(b.mul(pow(a, b.sub(1)))));
    },
    // a^b * log(a), and 0 where a == 0 and b >= 0 (the limit, not 0 * -inf).
    () => {
      const e = b as Tensor;
      const out = ctx.output(0);
      if (typeof a === 'number') {
        const term = out.mul(Math.log(a));
        return g.mul(a === 0 ? where(e.ge(0), 0, term) : term);
      }
      return g.mul(where(a.eq(0).mul(e.ge(0)), 0, out.mul(a.log())));
    },
  );
});

/** max/min: the gradient goes to the larger (smaller) operand, split in half on ties, as PyTorch. */
function extremum(g: Tensor, a: Tensor | number, b: Tensor | number, loses: typeof lt): [Tensor, Tensor] {
  const tie = eq(a, b);
  const split = where(tie, g.div(2), g);
  return [where(loses(a, b), 0, split), where(loses(b, a), 0, split)];
}

for (const [name, loses] of [
  ['maximum', lt],
  ['minimum', gt],
] as const) {
  registerGradient(name, (g, ctx) => {
    const { a, b, ia, ib } = operands(ctx);
    const [ga, gb] = extremum(g, a, b, loses);
    return byOperand(
      ctx,
      ia,
      ib,
      () => ga,
      () => gb,
    );
  });
}
