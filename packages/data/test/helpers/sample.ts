import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIdx, URLs, untarData } from '../../src/index';
import { mnistDataDir } from '../../src/untar-data';

/** Builds MNIST_SAMPLE into a fresh temporary MANTISSA_DATA; `cleanup` removes it. */
export async function buildSample(): Promise<{
  data: string;
  path: string;
  ms: number;
  cleanup: () => Promise<void>;
}> {
  const data = await mkdtemp(join(tmpdir(), 'mantissa-data-'));
  process.env.MANTISSA_DATA = data;
  const t0 = performance.now();
  const path = await untarData(URLs.MNIST_SAMPLE);
  const ms = performance.now() - t0;
  return { data, path, ms, cleanup: () => rm(data, { recursive: true, force: true }) };
}

/** The raw MNIST images and labels of a split ('train' or 't10k'), straight from the IDX files. */
export function mnistRaw(split: 'train' | 't10k'): { images: Uint8Array; labels: Uint8Array } {
  const file = (kind: string): string => join(mnistDataDir(), 'data', `${split}-${kind}`);
  return {
    images: parseIdx(readFileSync(file('images-idx3-ubyte')), 'images').data,
    labels: parseIdx(readFileSync(file('labels-idx1-ubyte')), 'labels').data,
  };
}
