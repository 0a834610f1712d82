import { ArgumentError, isTensor, ShapeError, type Tensor } from '@mantissa/tensor';
import type { Batch } from './batch';
import { allocHost, columnOf, gatherInto, type HostColumn, Scratch, upload } from './host';

/** Anything indexable with a length, as PyTorch's map-style Dataset. */
export interface Dataset<T = unknown> {
  readonly length: number;
  get(index: number): T;
}

/**
 * A dataset that builds a whole batch itself (one gather copy into one buffer). The DataLoader uses
 * `getBatch` instead of `get` + collate when the dataset has it and no custom collate is given.
 */
export interface BatchDataset<T = unknown> extends Dataset<T> {
  getBatch(indices: ArrayLike<number>): Batch;
}

/** What a DataBunch reads from its training set when the dataset knows it (as fastai's `train_ds.y`). */
export interface LabelInfo {
  /** Class names, in the order of the class indices. */
  readonly classes?: readonly string[];
  /** Number of classes (or outputs). */
  readonly c?: number;
  /** The name of the loss that fits the targets, e.g. `crossEntropy`. */
  readonly lossFunc?: string;
}

export function hasGetBatch<T>(ds: Dataset<T>): ds is BatchDataset<T> {
  return typeof (ds as Partial<BatchDataset<T>>).getBatch === 'function';
}

export function checkIndex(op: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new ArgumentError(op, 'index', `an integer in [0, ${length})`, index);
  }
}

/**
 * Pairs of rows of two tensors, as torch's TensorDataset(x, y): item i is [x[i], y[i]].
 *
 * The values are read to the host once, when the dataset is made (later in-place changes to x and y
 * are not seen, and x and y may be disposed), so a batch is one gather copy and one upload.
 */
export class TensorDataset implements BatchDataset<Batch> {
  readonly length: number;
  private readonly columns: readonly [HostColumn, HostColumn];
  private readonly scratch = [new Scratch(), new Scratch()] as const;

  constructor(x: Tensor, y: Tensor) {
    for (const [name, t] of [
      ['x', x],
      ['y', y],
    ] as const) {
      if (!isTensor(t)) throw new ArgumentError('TensorDataset', name, 'a Tensor', t);
      t.assertLive('TensorDataset');
      if (t.ndim === 0)
        throw new ShapeError('TensorDataset', 'at least 1 dimension', t.shape, `${name} shape`);
    }
    if (x.shape[0] !== y.shape[0]) {
      throw new ShapeError(
        'TensorDataset',
        `y.shape[0] = x.shape[0] = ${x.shape[0]}`,
        y.shape[0],
        'y length',
      );
    }
    this.length = x.shape[0]!;
    this.columns = [columnOf(x), columnOf(y)];
  }

  get(index: number): Batch {
    checkIndex('TensorDataset.get', index, this.length);
    const [cx, cy] = this.columns;
    const one = (c: HostColumn): Tensor => {
      const out = allocHost(c.dtype, c.itemSize);
      gatherInto(c, [index], out);
      return upload(out, c.dtype, c.itemShape);
    };
    return [one(cx), one(cy)];
  }

  getBatch(indices: ArrayLike<number>): Batch {
    for (let j = 0; j < indices.length; j++) checkIndex('TensorDataset.getBatch', indices[j]!, this.length);
    const stack = (i: 0 | 1): Tensor => {
      const c = this.columns[i];
      const out = this.scratch[i].take(c.dtype, indices.length * c.itemSize);
      gatherInto(c, indices, out);
      return upload(out, c.dtype, [indices.length, ...c.itemShape]);
    };
    const x = stack(0);
    try {
      return [x, stack(1)];
    } catch (e) {
      x.dispose();
      throw e;
    }
  }
}
