import { readFileSync } from 'node:fs';
import { ArgumentError, type Tensor } from '@mantissa/tensor';
import type { Batch } from './batch';
import { type BatchDataset, checkIndex, type LabelInfo } from './dataset';
import { DataError, reason } from './errors';
import { Scratch, upload } from './host';
import { type DecodedImage, decodePng } from './png';

/** v / 255 in float32 for every byte, as torch's `x.float().div_(255)` (fastai's open_image). */
export const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Labelled image files, as fastai's `LabelList` of an `ImageList` with `CategoryList` labels: item i is
 * [the image as float32 3×H×W in [0, 1], the class index as int32].
 *
 * Each PNG is decoded the first time it is used and kept: all images of the dataset live in one
 * contiguous float32 buffer (already in [0, 1]: 4 bytes per value instead of 1, so a batch is one
 * memcpy per image and one upload instead of a per-pixel conversion every epoch). All images must have one size (no resize is applied, as fastai
 * without `size=`).
 */
export class ImageDataset implements BatchDataset<Batch>, LabelInfo {
  readonly items: readonly string[];
  readonly labels: Int32Array;
  readonly classes: readonly string[];
  readonly lossFunc = 'crossEntropy';
  private cache: Float32Array | null = null;
  private readonly done: Uint8Array;
  private decodedCount = 0;
  private size: { height: number; width: number; first: string } | null = null;
  private readonly scratch = [new Scratch(), new Scratch()] as const;

  constructor(items: readonly string[], labels: ArrayLike<number>, classes: readonly string[]) {
    const op = 'ImageDataset';
    if (!Array.isArray(items) || !items.every((f) => typeof f === 'string')) {
      throw new ArgumentError(op, 'items', 'an array of file paths', items);
    }
    if (labels.length !== items.length) {
      throw new ArgumentError(op, 'labels', `${items.length} labels (one per item)`, labels.length);
    }
    this.labels = Int32Array.from(labels);
    const bad = this.labels.findIndex((l, i) => l !== labels[i] || l < 0 || l >= classes.length);
    if (bad >= 0) {
      throw new ArgumentError(op, `labels[${bad}]`, `a class index in [0, ${classes.length})`, labels[bad]);
    }
    this.items = [...items];
    this.classes = [...classes];
    this.done = new Uint8Array(items.length);
  }

  get length(): number {
    return this.items.length;
  }
  get c(): number {
    return this.classes.length;
  }
  /** How many images have been decoded and cached so far. */
  get cached(): number {
    return this.decodedCount;
  }
  /** [3, height, width] once the first image is decoded. */
  get itemShape(): readonly number[] | undefined {
    return this.size === null ? undefined : [3, this.size.height, this.size.width];
  }

  get(index: number): Batch {
    checkIndex('ImageDataset.get', index, this.length);
    const [x, y] = this.getBatch([index]);
    const xs = x.reshape(x.shape.slice(1));
    const ys = y.reshape([]);
    x.dispose();
    y.dispose();
    return [xs, ys];
  }

  getBatch(indices: ArrayLike<number>): Batch {
    for (let j = 0; j < indices.length; j++) checkIndex('ImageDataset.getBatch', indices[j]!, this.length);
    for (let j = 0; j < indices.length; j++) this.decode(indices[j]!);
    const n = indices.length;
    if (this.size === null) throw new DataError('ImageDataset.getBatch', 'cannot make an empty batch');
    const k = 3 * this.size.height * this.size.width;
    const xs = this.scratch[0].take('float32', n * k) as Float32Array;
    const cache = this.cache!;
    for (let j = 0; j < n; j++) {
      const s = indices[j]! * k;
      xs.set(cache.subarray(s, s + k), j * k);
    }
    const ys = this.scratch[1].take('int32', n) as Int32Array;
    for (let j = 0; j < n; j++) ys[j] = this.labels[indices[j]!]!;
    const x: Tensor = upload(xs, 'float32', [n, 3, this.size.height, this.size.width]);
    try {
      return [x, upload(ys, 'int32', [n])];
    } catch (e) {
      x.dispose();
      throw e;
    }
  }

  /** Decodes item i into the cache, unless it is there already. */
  private decode(i: number): void {
    if (this.done[i]) return;
    const file = this.items[i]!;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new DataError('ImageDataset', `cannot read image ${file}: ${reason(e)}`, { file, cause: e });
    }
    const img = decodePng(bytes, file);
    const k = this.place(img, file);
    const at = i * k;
    const cache = this.cache!;
    if (img.depth === 8) {
      for (let e = 0; e < k; e++) cache[at + e] = BYTE_TO_UNIT[img.data[e]!]!;
    } else {
      cache.set(img.data as Float32Array, at);
    }
    this.done[i] = 1;
    this.decodedCount++;
  }

  /** Checks the image's size against the dataset's and makes the cache able to hold it; its item size. */
  private place(img: DecodedImage, file: string): number {
    if (this.size === null) this.size = { height: img.height, width: img.width, first: file };
    const { height, width, first } = this.size;
    if (img.height !== height || img.width !== width) {
      throw new DataError(
        'ImageDataset',
        `${file} is ${img.width}x${img.height} but ${first} is ${width}x${height}: images are batched ` +
          'without resizing, so all images of a dataset must have one size',
        { file },
      );
    }
    const k = 3 * height * width;
    if (this.cache === null) this.cache = new Float32Array(this.length * k);
    return k;
  }
}
