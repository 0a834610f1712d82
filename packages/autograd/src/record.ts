import { DTYPES, type Tensor } from '@mantissa/tensor';
import { AutogradError } from './errors';
import { isGradEnabled } from './grad-mode';
import { bumpVersion, metaOf, peekMeta } from './meta';
import { type Edge, GradNode } from './node';
import { NON_DIFFERENTIABLE } from './registry';

/** Ops whose output may share memory with their input: writing it in place would bypass the graph. */
const VIEW_OPS = new Set(['reshape', 'permute', 'slice', 'expand', 'contiguous', 'dropout']);

function edgeOf(t: Tensor): Edge | null {
  const m = peekMeta(t);
  if (m === undefined || !m.requiresGrad) return null;
  return m.gradFn ?? t;
}

/** An in-place op in grad mode: refuses the writes whose gradient the graph could not follow. */
function checkInPlace(op: string, self: Tensor, edges: readonly (Edge | null)[]): void {
  const m = peekMeta(self);
  if (m?.requiresGrad && m.gradFn === null) {
    throw new AutogradError(
      op,
      'expected a tensor that is not a leaf requiring grad, got a leaf that requires grad (write ' +
        'parameters inside noGrad(), as optimizers do)',
    );
  }
  const fn = m?.gradFn;
  if (fn != null && VIEW_OPS.has(fn.op) && fn.savedStorageOf(0) === self.storage) {
    throw new AutogradError(
      op,
      `expected a tensor with its own memory, got a view (${fn.op}) of a tensor that requires grad, ` +
        'whose graph would miss the write (clone() the view first)',
    );
  }
  // x *= y overwrites the x that y's gradient needs.
  if (op === 'mul_' && edges[1] != null) {
    throw new AutogradError(
      op,
      'expected a multiplier that does not require grad, got one that does (its gradient needs the ' +
        'overwritten values: use mul)',
    );
  }
}

/**
 * The engine's op hook: bumps the version of in-place targets, and records a node when grad mode is on
 * and some input requires grad. Output 0 is the differentiable output when it is float.
 */
export function recordHook(
  op: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  attrs: Readonly<Record<string, unknown>>,
): void {
  const inPlace = op.endsWith('_');
  if (inPlace && outputs[0] !== undefined) bumpVersion(outputs[0]);
  if (!isGradEnabled() || NON_DIFFERENTIABLE.has(op)) return;
  const out = outputs[0];
  if (inPlace && out !== undefined) {
    const m = peekMeta(out);
    if (m?.requiresGrad && m.gradFn === null) checkInPlace(op, out, []);
  }
  let any = false;
  for (const t of inputs) {
    if (peekMeta(t)?.requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any || out === undefined || !DTYPES[out.dtype].isFloat) return;
  const edges = inputs.map(edgeOf);
  if (inPlace) checkInPlace(op, out, edges);
  const node = new GradNode(op, edges, inputs, outputs, attrs);
  const m = metaOf(out);
  m.requiresGrad = true;
  m.gradFn = node;
}
