import { isTensor, type Tensor, tidy } from '@mantissa/tensor';
import { DataError } from './errors';

/**
 * One batch: the inputs and the targets, as fastai's `(xb, yb)` (so `for (const [x, y] of dl)` reads
 * like `for xb, yb in dl`, and a transform such as `batchToHalf` is `([x, y]) => [x.half(), y]`).
 *
 * The tensors belong to the consumer: dispose them (`disposeBatch(b)`), or iterate inside `tidy`.
 */
export type Batch = readonly [x: Tensor, y: Tensor];

/**
 * A batch transform, applied to every batch in order. It returns a new batch; tensors of its input
 * that it does not return are disposed for it, and it must return new tensors or its input's tensors
 * (never tensors it does not own, since the consumer disposes whatever comes out).
 */
export type BatchTransform = (batch: Batch) => Batch;

/** Disposes both tensors of a batch. */
export function disposeBatch(batch: Batch): void {
  batch[0].dispose();
  batch[1].dispose();
}

/** Runs the transforms in order; whatever a transform drops from its input is disposed at once. */
export function applyTransforms(batch: Batch, transforms: readonly BatchTransform[]): Batch {
  for (const tf of transforms) {
    let out: Batch;
    try {
      // tidy frees the transform's intermediates; the batch it returns moves to the caller's scope.
      out = tidy(() => checkBatch(tf(batch), 'a batch transform'));
    } catch (e) {
      disposeBatch(batch);
      throw e;
    }
    for (const t of batch) if (t !== out[0] && t !== out[1] && !t.isDisposed) t.dispose();
    batch = out;
  }
  return batch;
}

export function checkBatch(b: unknown, what: string): Batch {
  if (!Array.isArray(b) || b.length !== 2 || !isTensor(b[0]) || !isTensor(b[1])) {
    throw new DataError('applyTransforms', `${what} must return a batch [x, y] of two tensors`);
  }
  return b as unknown as Batch;
}
