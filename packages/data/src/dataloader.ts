import { ArgumentError, tidy } from '@mantissa/tensor';
import { applyTransforms, type Batch, type BatchTransform, checkBatch } from './batch';
import { DefaultCollate } from './collate';
import { type Dataset, hasGetBatch } from './dataset';
import { Rng, seedFromGlobalRng } from './random';

export interface DataLoaderOptions<T> {
  /** Items per batch (default 64). */
  batchSize?: number;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Seeds the loader's own generator: the sequence of epochs is then the same for every loader made
   * with this seed, whatever else draws random numbers. Without it each epoch's order is drawn from
   * the tensor package's global generator (reproducible under `manualSeed`), as PyTorch does.
   */
  seed?: number;
  /** Builds a batch from the items; default: stack `[x, y]` items (see DefaultCollate). */
  collate?: (items: T[]) => Batch;
  /** Applied to every batch, in order. */
  transforms?: readonly BatchTransform[];
}

/** What a training loop needs from a loader: batches, how many per epoch, and where they come from. */
export interface BatchLoader extends Iterable<Batch> {
  /** Batches per epoch. */
  readonly length: number;
  readonly batchSize: number;
  readonly dataset: Dataset;
}

/**
 * Batches of a dataset, as PyTorch's DataLoader: `for (const [x, y] of dl)` runs one epoch, and each
 * new iteration is a new epoch (a new order when shuffling).
 *
 * The batches are new tensors owned by the consumer: dispose them (`disposeBatch`) when done, or run
 * the epoch inside `tidy`. A dataset with `getBatch` (TensorDataset, ImageDataset) fills each batch
 * with one gather copy into one buffer; other datasets go through `get` and the collate function,
 * and any tensors those create along the way are freed.
 */
export class DataLoader<T = unknown> implements BatchLoader {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number | undefined;
  private readonly tfms: BatchTransform[];
  private readonly collateFn: ((items: T[]) => Batch) | undefined;
  private readonly defaultCollate = new DefaultCollate();
  private readonly rng: Rng | null;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T> = {}) {
    const op = 'DataLoader';
    if (
      typeof dataset !== 'object' ||
      dataset === null ||
      typeof dataset.get !== 'function' ||
      !Number.isSafeInteger(dataset.length) ||
      dataset.length < 0
    ) {
      throw new ArgumentError(op, 'dataset', 'a Dataset ({ length, get(i) })', dataset);
    }
    if (typeof options !== 'object' || options === null) {
      throw new ArgumentError(op, 'options', 'an object', options);
    }
    const { batchSize = 64, shuffle = false, dropLast = false, seed, collate, transforms = [] } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new ArgumentError(op, 'batchSize', 'a positive integer', batchSize);
    }
    if (typeof shuffle !== 'boolean') throw new ArgumentError(op, 'shuffle', 'a boolean', shuffle);
    if (typeof dropLast !== 'boolean') throw new ArgumentError(op, 'dropLast', 'a boolean', dropLast);
    if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
      throw new ArgumentError(op, 'seed', 'a non-negative safe integer', seed);
    }
    if (collate !== undefined && typeof collate !== 'function') {
      throw new ArgumentError(op, 'collate', 'a function', collate);
    }
    if (!Array.isArray(transforms) || !transforms.every((t) => typeof t === 'function')) {
      throw new ArgumentError(op, 'transforms', 'an array of functions', transforms);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = seed;
    this.collateFn = collate;
    this.tfms = [...transforms];
    this.rng = seed === undefined ? null : new Rng(seed);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The loader's own transforms, in order (a DataBunch adds its own after these). */
  get transforms(): readonly BatchTransform[] {
    return this.tfms;
  }

  addTransform(tf: BatchTransform): this {
    if (typeof tf !== 'function') throw new ArgumentError('DataLoader.addTransform', 'tf', 'a function', tf);
    this.tfms.push(tf);
    return this;
  }

  /** Starts an epoch: the order is drawn now (when shuffling), the batches are built as they are read. */
  [Symbol.iterator](): Iterator<Batch> {
    const n = this.dataset.length;
    let order: Int32Array;
    if (this.shuffle) order = (this.rng ?? new Rng(seedFromGlobalRng())).permutation(n);
    else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    return this.epoch(order);
  }

  private *epoch(order: Int32Array): Generator<Batch, void, undefined> {
    const bs = this.batchSize;
    const count = this.dropLast ? Math.floor(order.length / bs) : Math.ceil(order.length / bs);
    for (let b = 0; b < count; b++)
      yield this.fetch(order.subarray(b * bs, Math.min((b + 1) * bs, order.length)));
  }

  /** The batch of the given dataset indices, with this loader's transforms applied. */
  fetch(indices: ArrayLike<number>): Batch {
    const ds = this.dataset;
    // tidy: tensors that `get` or the collate make on the way are freed; only the batch survives.
    const batch = tidy(() => {
      if (this.collateFn === undefined && hasGetBatch(ds))
        return checkBatch(ds.getBatch(indices), 'getBatch');
      const items = Array.from(indices, (i) => ds.get(i));
      if (this.collateFn !== undefined) return checkBatch(this.collateFn(items), 'the collate function');
      return this.defaultCollate.collate(items);
    });
    return applyTransforms(batch, this.tfms);
  }
}
