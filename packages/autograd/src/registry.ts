import type { Tensor } from '@mantissa/tensor';
import { AutogradError } from './errors';
import type { GradNode } from './node';

/**
 * The gradient of one op: given the gradient of its output 0 (the differentiable output; indices,
 * masks and statistics are not) and the node as context, one gradient per input, or null where
 * `ctx.needsGrad(i)` is false or the input gets none. A gradient may have the output's broadcast shape
 * and any float dtype: the engine sums it to the input's shape and casts it to the input's dtype.
 */
export type GradFormula = (grad: Tensor, ctx: GradNode) => readonly (Tensor | null | undefined)[];

const formulas = new Map<string, GradFormula>();

/**
 * Ops whose outputs never carry a gradient (comparisons, indices, predicates): their results do not
 * require grad. Any other op without a formula throws when backward reaches it.
 */
export const NON_DIFFERENTIABLE: Set<string> = new Set([
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'argmax',
  'isfinite',
  'isnan',
]);

/** Registers (or replaces) the gradient formula of op `op`, keyed by the name the op records. */
export function registerGradient(op: string, formula: GradFormula): void {
  if (typeof op !== 'string' || op.length === 0) {
    throw new AutogradError('registerGradient', `expected an op name, got ${String(op)}`);
  }
  if (typeof formula !== 'function') {
    throw new AutogradError(
      'registerGradient',
      `expected a formula function for '${op}', got ${typeof formula}`,
    );
  }
  formulas.set(op, formula);
}

export function getGradient(op: string): GradFormula | undefined {
  return formulas.get(op);
}
