import { basename } from 'node:path';
import { manualSeed, memory } from '@mantissa/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, BYTE_TO_UNIT, disposeBatch, ImageDataBunch, type ImageDataset } from '../src/index';
import { buildSample, mnistRaw } from './helpers/sample';

let sample: Awaited<ReturnType<typeof buildSample>>;
let data: ImageDataBunch;
let trainDs: ImageDataset;
let validDs: ImageDataset;

beforeAll(async () => {
  sample = await buildSample();
  data = await ImageDataBunch.fromFolder(sample.path, { seed: 42 });
  trainDs = data.train.dataset as ImageDataset;
  validDs = data.valid.dataset as ImageDataset;
  console.log(`MNIST_SAMPLE built in ${(sample.ms / 1000).toFixed(2)} s`);
});
afterAll(() => sample.cleanup());

/** The float32 pixels fastai makes of MNIST image i of a split: bytes / 255, grey in 3 channels. */
function expected(raw: Uint8Array, i: number): number[] {
  const px = Array.from(raw.subarray(i * 784, (i + 1) * 784), (v) => BYTE_TO_UNIT[v]!);
  return [...px, ...px, ...px];
}
const mnistIndex = (file: string): number => Number(basename(file, '.png'));

/** One epoch: batch shapes, the labels, and an order-sensitive checksum of x; the batches are disposed. */
function runEpoch(loader: Iterable<Batch>, limit = Number.POSITIVE_INFINITY) {
  const shapes: string[] = [];
  const labels: number[] = [];
  const sums: number[] = [];
  for (const b of loader) {
    const [x, y] = b;
    shapes.push(`${x.dtype}[${x.shape}] ${y.dtype}[${y.shape}]`);
    labels.push(...y.data());
    const xs = x.data();
    let s = 0;
    for (let i = 0; i < xs.length; i += 97) s += xs[i]! * ((i % 13) + 1);
    sums.push(s);
    disposeBatch(b);
    if (shapes.length >= limit) break;
  }
  return { shapes, labels, sums };
}

describe('ImageDataBunch.fromFolder(untarData(URLs.MNIST_SAMPLE))', () => {
  it("lists, splits and labels the files as fastai's from_folder", () => {
    expect(trainDs.length).toBe(12396);
    expect(validDs.length).toBe(2038);
    expect(data.classes).toEqual(['3', '7']);
    expect(data.c).toBe(2);
    expect(data.lossFunc).toBe('crossEntropy');
    expect(data.path).toBe(sample.path);
    const count = (ds: ImageDataset, c: number): number => ds.labels.filter((l) => l === c).length;
    expect([count(trainDs, 0), count(trainDs, 1), count(validDs, 0), count(validDs, 1)]).toEqual([
      6131, 6265, 1010, 1028,
    ]);
    for (const [ds, folder] of [
      [trainDs, 'train'],
      [validDs, 'valid'],
    ] as const) {
      ds.items.forEach((f, i) => {
        const parts = f.split('/');
        if (parts.at(-3) !== folder || parts.at(-2) !== data.classes![ds.labels[i]!])
          throw new Error(`bad label for ${f}`);
      });
      expect([...ds.items].sort()).toEqual(ds.items);
    }
    expect(data.train.length).toBe(193); // 12396 // 64: the last 44 are dropped
    expect(data.valid.length).toBe(32);
    expect(data.train.dl.shuffle && data.train.dl.dropLast).toBe(true);
    expect(data.valid.dl.shuffle || data.valid.dl.dropLast).toBe(false);
  });

  it('gives float32 [64, 3, 28, 28] images in [0, 1] and int32 [64] labels; the first epoch decodes, later ones read the cache', () => {
    expect(trainDs.cached).toBe(0);
    let t0 = performance.now();
    const first = runEpoch(data.train);
    const firstMs = performance.now() - t0;
    expect(first.shapes).toEqual(Array(193).fill('float32[64,3,28,28] int32[64]'));
    expect(trainDs.cached).toBe(193 * 64); // the 44 dropped images were not needed yet
    expect(trainDs.itemShape).toEqual([3, 28, 28]);
    t0 = performance.now();
    const second = runEpoch(data.train);
    const cachedMs = performance.now() - t0;
    expect(second.shapes).toEqual(first.shapes);
    expect(second.labels).not.toEqual(first.labels); // a new order each epoch
    console.log(
      `train epoch (193 batches of 64): first, decoding ${193 * 64} PNGs, ${(firstMs / 1000).toFixed(2)} s; ` +
        `from the cache ${(cachedMs / 1000).toFixed(3)} s`,
    );
    const raw = mnistRaw('train');
    const [x, y] = trainDs.getBatch([0, 6131, 12395]);
    expect([x.shape, y.shape]).toEqual([[3, 3, 28, 28], [3]]);
    expect(Array.from(y.data())).toEqual([0, 1, 1]);
    const xs = Array.from(x.data());
    [0, 6131, 12395].forEach((item, j) => {
      expect(xs.slice(j * 2352, (j + 1) * 2352)).toEqual(
        expected(raw.images, mnistIndex(trainDs.items[item]!)),
      );
    });
    disposeBatch([x, y]);
  });

  it('gives the validation images in order, whole, pixel for pixel', () => {
    const raw = mnistRaw('t10k');
    const shapes: number[] = [];
    let item = 0;
    for (const b of data.valid) {
      const [x, y] = b;
      shapes.push(x.shape[0]!);
      expect([x.dtype, y.dtype, x.shape.slice(1)]).toEqual(['float32', 'int32', [3, 28, 28]]);
      const xs = x.data();
      const ys = y.data();
      for (let j = 0; j < x.shape[0]!; j++, item++) {
        const file = validDs.items[item]!;
        if (ys[j] !== (raw.labels[mnistIndex(file)] === 3 ? 0 : 1)) throw new Error(`label of ${file}`);
        const want = expected(raw.images, mnistIndex(file));
        for (let e = 0; e < 2352; e++)
          if (xs[j * 2352 + e] !== want[e]) throw new Error(`pixel ${e} of ${file}`);
      }
      disposeBatch(b);
    }
    expect(shapes).toEqual([...Array(31).fill(64), 54]);
    expect(item).toBe(2038);
    const [xi, yi] = validDs.get(5);
    expect([xi.shape, yi.shape, yi.dtype]).toEqual([[3, 28, 28], [], 'int32']);
    disposeBatch([xi, yi]);
  });

  it('shuffles reproducibly: the same seed gives the same batches, another seed others', async () => {
    const a = await ImageDataBunch.fromFolder(sample.path, { seed: 7 });
    const b = await ImageDataBunch.fromFolder(sample.path, { seed: 7 });
    const c = await ImageDataBunch.fromFolder(sample.path, { seed: 8 });
    const ea = runEpoch(a.train, 4);
    expect(runEpoch(b.train, 4)).toEqual(ea);
    expect(runEpoch(c.train, 4).labels).not.toEqual(ea.labels);
    // Without a seed the global generator decides, so manualSeed makes it reproducible.
    const d = await ImageDataBunch.fromFolder(sample.path);
    manualSeed(11);
    const ed = runEpoch(d.train, 3);
    manualSeed(11);
    expect(runEpoch(d.train, 3)).toEqual(ed);
  });

  it('keeps memory flat over cached epochs when the consumer disposes each batch', () => {
    const base = memory();
    const after: number[][] = [];
    for (let e = 0; e < 3; e++) {
      runEpoch(data.train);
      runEpoch(data.valid);
      const m = memory();
      after.push([m.numTensors - base.numTensors, m.numBytes - base.numBytes]);
    }
    expect(after).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });
});
