import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { memory } from '@mantissa/tensor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Batch,
  DataError,
  DataLoader,
  disposeBatch,
  encodeGrayPng,
  ImageDataBunch,
  type ImageDataset,
} from '../src/index';
import { rawPng } from './helpers/raw-png';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mantissa-folder-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

function put(rel: string, bytes: Uint8Array | string): string {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}
/** A w×h grey PNG whose pixels are all `v`. */
const grey = (v: number, w = 4, h = 3): Buffer => encodeGrayPng(new Uint8Array(w * h).fill(v), w, h);

async function caught(p: Promise<unknown> | (() => unknown)): Promise<DataError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

const epoch = (loader: Iterable<Batch>): void => {
  for (const b of loader) disposeBatch(b);
};

describe('ImageDataBunch.fromFolder on small folders', () => {
  it('labels by parent folder, skips hidden files and other folders, sorts files and classes', async () => {
    put('train/b/2.png', grey(2));
    put('train/b/10.png', grey(10));
    put('train/a/1.png', grey(1));
    put('train/.hidden/9.png', grey(9));
    put('train/a/.9.png', grey(9));
    put('train/a/notes.txt', 'not an image');
    put('test/a/5.png', grey(5));
    put('valid/a/3.png', grey(3));
    put('valid/b/4.PNG', grey(4));
    put('labels.csv', 'name,label\n');
    const data = await ImageDataBunch.fromFolder(root, { bs: 2, seed: 0 });
    const train = data.train.dataset as ImageDataset;
    const valid = data.valid.dataset as ImageDataset;
    expect(data.classes).toEqual(['a', 'b']);
    expect(train.items.map((f) => f.slice(root.length + 1))).toEqual([
      'train/a/1.png',
      'train/b/10.png',
      'train/b/2.png',
    ]);
    expect(Array.from(train.labels)).toEqual([0, 1, 1]);
    expect(valid.items.map((f) => f.slice(root.length + 1))).toEqual(['valid/a/3.png', 'valid/b/4.PNG']);
    expect([data.train.length, data.valid.length]).toEqual([1, 1]);
    const [x, y] = [...data.valid][0]!;
    expect(x.shape).toEqual([2, 3, 3, 4]);
    expect(Array.from(x.data()).map((v) => Math.round(v * 255))).toEqual([
      ...Array(36).fill(3),
      ...Array(36).fill(4),
    ]);
    expect(Array.from(y.data())).toEqual([0, 1]);
    disposeBatch([x, y]);
  });

  it('drops validation images of unknown classes with a warning, as fastai', async () => {
    put('train/a/1.png', grey(1));
    put('valid/a/2.png', grey(2));
    put('valid/z/3.png', grey(3));
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    const data = await ImageDataBunch.fromFolder(root);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(data.valid.dataset.length).toBe(1);
    expect(warnings.join('\n')).toMatch(/labels that are not training classes \(z\)/);
  });

  it('names the corrupt PNG', async () => {
    put('train/a/1.png', grey(1));
    const bad = put('train/a/2.png', grey(1).subarray(0, 30));
    const data = await ImageDataBunch.fromFolder(root, { bs: 1 });
    const before = memory().numTensors;
    const e = await caught(() => epoch(data.train));
    expect(e.file).toBe(bad);
    expect(e.message).toContain(`cannot decode ${bad} as a PNG image`);
    expect(memory().numTensors).toBe(before);
  });

  it('names a file that went missing after listing', async () => {
    put('train/a/1.png', grey(1));
    const gone = put('valid/a/2.png', grey(1));
    const data = await ImageDataBunch.fromFolder(root);
    unlinkSync(gone);
    const e = await caught(() => epoch(data.valid));
    expect(e.file).toBe(gone);
    expect(e.message).toMatch(new RegExp(`^ImageDataset: cannot read image ${gone}: ENOENT`));
  });

  it('refuses images of different sizes, naming both files', async () => {
    put('train/a/0.png', grey(1, 4, 3));
    const first = put('valid/a/1.png', grey(1, 4, 3));
    const other = put('valid/a/2.png', grey(1, 3, 4));
    const data = await ImageDataBunch.fromFolder(root, { bs: 2 });
    const e = await caught(() => epoch(data.valid));
    expect(e.file).toBe(other);
    expect(e.message).toContain(`${other} is 3x4 but ${first} is 4x3`);
  });

  it('refuses folders it cannot use', async () => {
    expect((await caught(ImageDataBunch.fromFolder(join(root, 'nope')))).message).toMatch(
      /nope is not a folder/,
    );
    put('valid/a/1.png', grey(1));
    expect((await caught(ImageDataBunch.fromFolder(root))).message).toMatch(/no images in .*train/);
    const jpg = put('train/a/1.jpg', 'jpeg');
    const e = await caught(ImageDataBunch.fromFolder(root));
    expect(e.file).toBe(jpg);
    expect(e.message).toMatch(/is not a PNG: only PNG images can be decoded/);
  });

  it('keeps 16-bit images whole next to 8-bit ones (the cache turns float32)', async () => {
    const v16 = [0, 1, 257, 32768, 65535, 40000];
    put('train/a/0.png', grey(51, 3, 2));
    put('train/a/1.png', rawPng(3, 2, 16, 0, v16));
    put('train/a/2.png', grey(204, 3, 2));
    const data = await ImageDataBunch.fromFolder(root);
    const ds = data.train.dataset as ImageDataset;
    for (const order of [
      [0, 1, 2], // bytes first, then the cache is widened
      [1, 2, 0],
    ]) {
      const loader = new DataLoader(ds, { batchSize: 3 });
      const [x, y] = loader.fetch(order);
      const xs = Array.from(x.data());
      const item = (i: number): number[] =>
        i === 1
          ? [0, 1, 2].flatMap(() => v16.map((v) => Math.fround(v / 65535)))
          : Array(18).fill(Math.fround((i === 0 ? 51 : 204) / 255));
      expect(xs).toEqual(order.flatMap(item));
      disposeBatch([x, y]);
    }
    const fresh = (await ImageDataBunch.fromFolder(root)).train.dataset as ImageDataset;
    const [x16, y16] = fresh.getBatch([1, 0]);
    expect(Array.from(x16.data()).slice(18)).toEqual(Array(18).fill(Math.fround(51 / 255)));
    disposeBatch([x16, y16]);
  });
});
