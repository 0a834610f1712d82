import type { Tensor } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import { Module } from '../module';
import { checkInput } from './input-error';

/**
 * Flattens dims startDim..endDim into one, as torch.nn.Flatten (defaults 1 and -1: (N, *) → (N, rest),
 * which is also fastai's Flatten, `x.view(x.size(0), -1)`). A view when the layout allows it.
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    for (const [name, v] of [
      ['startDim', startDim],
      ['endDim', endDim],
    ] as const) {
      if (!Number.isSafeInteger(v))
        throw new NnError('Flatten', `expected ${name} to be an integer, got ${fmtValue(v)}`);
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    const t = checkInput(this, x, [0, 1, 2, 3, 4, 5, 6, 7, 8], '(*)');
    const n = Math.max(t.ndim, 1);
    const start = this.startDim < 0 ? this.startDim + n : this.startDim;
    const end = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (start < 0 || start >= n || end < 0 || end >= n || start > end) {
      throw new NnError(
        `${this}.forward`,
        `expected startDim ${this.startDim} and endDim ${this.endDim} to be dims of the input in order, got a ${t.ndim}-d input of shape ${fmtValue(t.shape)}`,
      );
    }
    if (t.ndim === 0) return t.reshape([1]);
    const middle = t.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return t.reshape([...t.shape.slice(0, start), middle, ...t.shape.slice(end + 1)]);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
