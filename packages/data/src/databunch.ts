import { ArgumentError, checkDevice, type Device, type Tensor } from '@mantissa/tensor';
import { applyTransforms, type Batch, type BatchTransform, disposeBatch } from './batch';
import { type BatchLoader, DataLoader, type DataLoaderOptions } from './dataloader';
import type { Dataset, LabelInfo } from './dataset';
import { defaults } from './defaults';

export interface DataBunchOptions {
  /** Batch transforms applied to every batch of both loaders, after each loader's own. */
  transforms?: readonly BatchTransform[];
  /** Class names (default: the training set's `classes`, when it has them). */
  classes?: readonly string[];
  /** Number of classes or outputs (default: the training set's `c`, else the number of classes). */
  c?: number;
  /** Name of the loss that fits the targets (default: the training set's `lossFunc`). */
  lossFunc?: string;
  /** Where the data lives (for saving models next to it, as fastai's `path`). */
  path?: string;
  /**
   * The device every batch is moved to, before the bunch's transforms (fastai's `device`); a Learner
   * moves its model there. Default `defaults.device` ('cpu', or the MANTISSA_DEVICE environment variable).
   */
  device?: Device;
}

export interface DataBunchCreateOptions<T> extends DataBunchOptions {
  /** Training batch size (default 64). */
  bs?: number;
  /** Validation batch size (default bs, as fastai 1.0.30 and later). */
  valBs?: number;
  /** Seeds the training loader's shuffle (see DataLoaderOptions.seed). */
  seed?: number;
  collate?: DataLoaderOptions<T>['collate'];
}

/**
 * A DataLoader seen through its DataBunch (fastai's DeviceDataLoader): every batch it yields is moved
 * to the bunch's device (x and y), then the bunch's transforms run on it there.
 */
export class DeviceDataLoader<T = unknown> implements BatchLoader {
  constructor(
    readonly dl: DataLoader<T>,
    private readonly tfms: readonly BatchTransform[],
    readonly device: Device = 'cpu',
  ) {}

  get length(): number {
    return this.dl.length;
  }
  get batchSize(): number {
    return this.dl.batchSize;
  }
  get dataset(): Dataset<T> {
    return this.dl.dataset;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    for (const b of this.dl) yield applyTransforms(toDevice(b, this.device), this.tfms);
  }
}

/** The batch on `device`; the tensors it leaves behind are disposed. */
function toDevice(batch: Batch, device: Device): Batch {
  if (batch[0].device === device && batch[1].device === device) return batch;
  const move = (t: Tensor): Tensor => {
    if (t.device === device) return t;
    const moved = t.to(device);
    t.dispose();
    return moved;
  };
  let x: Tensor | null = null;
  try {
    x = move(batch[0]);
    return [x, move(batch[1])];
  } catch (e) {
    if (x !== null && x !== batch[0]) x.dispose();
    disposeBatch(batch);
    throw e;
  }
}

/**
 * A training and a validation loader, with what a learner needs to know about the targets
 * (fastai's DataBunch). `train` and `valid` apply the bunch's transforms (e.g. `batchToHalf`, added
 * by `toFp16`) to every batch.
 */
export class DataBunch<T = unknown> {
  readonly train: DeviceDataLoader<T>;
  readonly valid: DeviceDataLoader<T>;
  readonly classes: readonly string[] | undefined;
  readonly c: number | undefined;
  readonly lossFunc: string | undefined;
  readonly path: string | undefined;
  /** Where every batch goes (and a Learner's model). */
  readonly device: Device;
  private readonly tfms: BatchTransform[];

  constructor(trainDl: DataLoader<T>, validDl: DataLoader<T>, options: DataBunchOptions = {}) {
    const op = 'DataBunch';
    if (!(trainDl instanceof DataLoader)) throw new ArgumentError(op, 'trainDl', 'a DataLoader', trainDl);
    if (!(validDl instanceof DataLoader)) throw new ArgumentError(op, 'validDl', 'a DataLoader', validDl);
    const { transforms = [], classes, c, lossFunc, path, device = defaults.device } = options;
    if (!Array.isArray(transforms) || !transforms.every((t) => typeof t === 'function')) {
      throw new ArgumentError(op, 'transforms', 'an array of functions', transforms);
    }
    if (classes !== undefined && (!Array.isArray(classes) || !classes.every((s) => typeof s === 'string'))) {
      throw new ArgumentError(op, 'classes', 'an array of strings', classes);
    }
    if (c !== undefined && (!Number.isSafeInteger(c) || c < 1)) {
      throw new ArgumentError(op, 'c', 'a positive integer', c);
    }
    this.device = checkDevice(op, device);
    const info = trainDl.dataset as LabelInfo;
    this.tfms = [...transforms];
    this.train = new DeviceDataLoader(trainDl, this.tfms, this.device);
    this.valid = new DeviceDataLoader(validDl, this.tfms, this.device);
    this.classes = classes ?? info.classes;
    this.c = c ?? info.c ?? this.classes?.length;
    this.lossFunc = lossFunc ?? info.lossFunc;
    this.path = path;
  }

  /** The bunch's batch transforms, in order. */
  get transforms(): readonly BatchTransform[] {
    return this.tfms;
  }

  /** Adds a batch transform for both loaders (fastai's `add_tfm`). */
  addTransform(tf: BatchTransform): this {
    if (typeof tf !== 'function') throw new ArgumentError('DataBunch.addTransform', 'tf', 'a function', tf);
    this.tfms.push(tf);
    return this;
  }

  /** Removes a transform added before (e.g. `batchToHalf` when going back to fp32); true if found. */
  removeTransform(tf: BatchTransform): boolean {
    const i = this.tfms.indexOf(tf);
    if (i >= 0) this.tfms.splice(i, 1);
    return i >= 0;
  }

  /**
   * Loaders over two datasets, as fastai's `DataBunch.create`: the training set shuffled with the last
   * partial batch dropped, the validation set in order and whole.
   */
  static create<T>(
    trainDs: Dataset<T>,
    validDs: Dataset<T>,
    options: DataBunchCreateOptions<T> = {},
  ): DataBunch<T> {
    const [trainDl, validDl, rest] = createLoaders(trainDs, validDs, options);
    return new DataBunch(trainDl, validDl, rest);
  }
}

/** The two loaders of `DataBunch.create`, and the options left for the bunch. */
export function createLoaders<T>(
  trainDs: Dataset<T>,
  validDs: Dataset<T>,
  options: DataBunchCreateOptions<T>,
): [DataLoader<T>, DataLoader<T>, DataBunchOptions] {
  const { bs = 64, valBs = bs, seed, collate, ...rest } = options;
  const trainDl = new DataLoader(trainDs, { batchSize: bs, shuffle: true, dropLast: true, seed, collate });
  const validDl = new DataLoader(validDs, { batchSize: valBs, collate });
  return [trainDl, validDl, rest];
}
