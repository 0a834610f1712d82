import type { Tensor } from '@mantissa/tensor';
import { AutogradError } from './errors';

/**
 * g summed down to `shape` (PyTorch's sum_to): the inverse of broadcasting, for the gradient of an
 * input that was broadcast. Returns g itself when the shapes already match.
 */
export function sumTo(op: string, g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  if (lead < 0) throw mismatch(op, g, shape);
  let same = lead === 0;
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  for (let i = 0; i < shape.length; i++) {
    const gs = g.shape[lead + i];
    if (gs === shape[i]) continue;
    same = false;
    if (shape[i] !== 1) throw mismatch(op, g, shape);
    axes.push(lead + i);
  }
  if (same) return g;
  const summed = g.sum(axes, true);
  const out = summed.reshape(shape);
  summed.dispose();
  return out;
}

function mismatch(op: string, g: Tensor, shape: readonly number[]): AutogradError {
  return new AutogradError(
    op,
    `expected a gradient of shape [${shape.join(', ')}] (or one that broadcasts to it), got shape [${g.shape.join(', ')}]`,
  );
}
