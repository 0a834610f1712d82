import { isTensor, type Tensor } from '@mantissa/tensor';
import { runBackward } from './engine';
import { AutogradError } from './errors';
import { noGrad } from './grad-mode';
import { peekMeta } from './meta';

/**
 * Backward from several outputs at once (PyTorch's torch.autograd.backward): gradients from each are
 * summed into the leaves. `grads[i]` may be omitted for one-element outputs.
 */
export function backward(
  tensors: Tensor | readonly Tensor[],
  grads?: Tensor | readonly (Tensor | undefined)[],
  options: { retainGraph?: boolean } = {},
): void {
  const ts = isTensor(tensors) ? [tensors] : tensors;
  if (!Array.isArray(ts))
    throw new AutogradError('backward', `expected a Tensor or an array of them, got ${typeof tensors}`);
  const gs = grads === undefined ? [] : isTensor(grads) ? [grads] : grads;
  if (gs.length > ts.length) {
    throw new AutogradError(
      'backward',
      `expected at most ${ts.length} gradients (one per tensor), got ${gs.length}`,
    );
  }
  runBackward(ts, gs, options?.retainGraph === true);
}

/**
 * Clears the gradients of `tensors` (parameters): disposes them and sets .grad to null (the default,
 * as PyTorch 2), or with `setToNone: false` writes zeros into them in place.
 */
export function zeroGrad(tensors: Iterable<Tensor>, options: { setToNone?: boolean } = {}): void {
  const setToNone = options?.setToNone ?? true;
  noGrad(() => {
    for (const t of tensors) {
      const m = peekMeta(t);
      const g = m?.grad;
      if (g == null || m === undefined) continue;
      if (setToNone) {
        m.grad = null;
        g.dispose();
      } else if (!g.isDisposed) {
        g.zero_();
      }
    }
  });
}
