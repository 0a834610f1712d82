import type { Tensor } from '@mantissa/tensor';
import type { GradNode } from '../node';

/**
 * Binary ops (and where) record only their tensor operands as inputs; a scalar operand is in
 * attrs.a / attrs.b instead. These map the operands back to input slots.
 */
export interface Operands {
  a: Tensor | number;
  b: Tensor | number;
  /** Input index of each operand, or -1 for a scalar. */
  ia: number;
  ib: number;
}

export function operands(ctx: GradNode, first = 0): Operands {
  const sa = ctx.attr<number | boolean | null>('a');
  const sb = ctx.attr<number | boolean | null>('b');
  const ia = sa === null ? first : -1;
  const ib = sb === null ? (ia >= 0 ? first + 1 : first) : -1;
  return {
    a: ia >= 0 ? ctx.input(ia) : Number(sa),
    b: ib >= 0 ? ctx.input(ib) : Number(sb),
    ia,
    ib,
  };
}

/** The gradient list in input order from per-operand gradients (computed only where needed). */
export function byOperand(
  ctx: GradNode,
  ia: number,
  ib: number,
  ga: () => Tensor,
  gb: () => Tensor,
): (Tensor | null)[] {
  const out: (Tensor | null)[] = new Array(ctx.numInputs).fill(null);
  if (ia >= 0 && ctx.needsGrad(ia)) out[ia] = ga();
  if (ib >= 0 && ctx.needsGrad(ib)) out[ib] = gb();
  return out;
}

/** The operand indices without reading saved values (for formulas that need none). */
export function operandSlots(ctx: GradNode, first = 0): { ia: number; ib: number } {
  const ia = ctx.attr('a') === null ? first : -1;
  const ib = ctx.attr('b') === null ? (ia >= 0 ? first + 1 : first) : -1;
  return { ia, ib };
}
