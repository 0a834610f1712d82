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

/** In grad mode, a leaf that requires grad may not be written in place (its .grad would be for other values). */
function checkLeafWrite(op: string, self: Tensor): void {
  const m = peekMeta(self);
  if (m?.requiresGrad && m.gradFn === null) {
    throw new AutogradError(
      op,
      'expected a tensor that is not a leaf requiring grad, got a leaf that requires grad (write ' +
        'parameters inside noGrad(), as optimizers do)',
    );
  }
}

/** Refuses the recorded in-place writes whose gradient the graph could not follow. */
function checkRecordedWrite(op: string, self: Tensor, edges: readonly (Edge | null)[]): void {
  const fn = peekMeta(self)?.gradFn;
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
 * and some input requires grad. Output 0 is the differentiable output when it is float. (It runs after
 * the op, so a refused in-place write has already happened when the error is thrown.)
 */
export function recordHook(
  op: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  attrs: Readonly<Record<string, unknown>>,
): void {
  const out = outputs[0];
  if (out === undefined) return;
  const inPlace = op.endsWith('_');
  if (inPlace) bumpVersion(out);
  if (!isGradEnabled() || NON_DIFFERENTIABLE.has(op)) return;
  if (inPlace) checkLeafWrite(op, out);
  let any = false;
  for (const t of inputs) {
    if (peekMeta(t)?.requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any || !DTYPES[out.dtype].isFloat) return;
  const edges = inputs.map(edgeOf);
  if (inPlace) checkRecordedWrite(op, out, edges);
  const node = new GradNode(op, edges, inputs, outputs, attrs);
  const m = metaOf(out);
  m.requiresGrad = true;
  m.gradFn = node;
}
