import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_DTYPES, backendInfo, DTYPES, type DType, tensor, tidy } from '../src/index';
import { native } from '../src/native';
import { rawBits } from './helpers/cast-bits';
import { encodeInputs, rng32 } from './helpers/cast-inputs';
import { type CastJob, runCastJob } from './helpers/cast-jobs.mjs';
import { decodeHalf } from './helpers/half-reference';

/**
 * Every ISA path gives the same bits: the casts of the other cast tests (every half pattern, 10 million
 * float32 encodes, all pairs, strided views, every tail length) run again in child processes capped
 * with MANTISSA_ISA, and their output bytes must equal this process's (the best ISA here). The scalar
 * child is the reference of half.h itself; the default path is checked against the independent
 * reference by cast-decode/cast-encode.
 */

const LEVELS = ['scalar', 'avx2', 'avx512', 'avx512bf16'];
const SCRIPT = join(__dirname, 'helpers', 'cast-jobs.mjs');

const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function buildJobs(): Map<string, { job: CastJob; input: Uint8Array }> {
  const jobs = new Map<string, { job: CastJob; input: Uint8Array }>();
  const add = (name: string, job: CastJob, input: Uint8Array) => jobs.set(name, { job, input });
  const patterns = Uint16Array.from({ length: 65536 }, (_, i) => i);
  for (const src of ['float16', 'bfloat16'] as const) {
    for (const dst of ALL_DTYPES.filter((d) => d !== src)) {
      add(`decode-${src}-${dst}`, { src, dst, shape: [65536], dstElems: 65536 }, asBytes(patterns));
    }
  }
  const big = encodeInputs(10_000_000, decodeHalf);
  for (const dst of ['float16', 'bfloat16'] as const) {
    add(`encode-${dst}`, { src: 'float32', dst, shape: [big.length], dstElems: big.length }, asBytes(big));
  }
  const next = rng32(5);
  const words = Uint32Array.from({ length: 2 * 300_000 }, (_, i) =>
    i % 2 ? ((next() & 0x800fffff) | ((1023 - 150 + (next() % 300)) << 20)) >>> 0 : next(),
  );
  for (const dst of ALL_DTYPES.filter((d) => d !== 'float64')) {
    add(`float64-${dst}`, { src: 'float64', dst, shape: [300_000], dstElems: 300_000 }, asBytes(words));
  }
  // Every pair, from a mixed set rounded into each source dtype.
  const mixed = encodeInputs(200_000, decodeHalf).subarray(100_000);
  const [rows, cols] = [61, 67];
  for (const src of ALL_DTYPES) {
    const input = tidy(() => asBytes(rawBits(tensor(mixed).to(src))));
    for (const dst of ALL_DTYPES) {
      add(`pair-${src}-${dst}`, { src, dst, shape: [mixed.length], dstElems: mixed.length }, input);
      const t = [rows, cols];
      add(
        `transposed-in-${src}-${dst}`,
        { src, dst, shape: [cols, rows], srcStrides: [1, cols], srcOffset: 3, dstElems: rows * cols },
        input,
      );
      add(
        `transposed-out-${src}-${dst}`,
        { src, dst, shape: t, dstStrides: [1, rows], srcOffset: 5, dstElems: rows * cols },
        input,
      );
      add(
        `expanded-${src}-${dst}`,
        { src, dst, shape: [40, cols], srcStrides: [0, 1], srcOffset: 9, dstElems: 40 * cols },
        input,
      );
      add(
        `stepped-${src}-${dst}`,
        {
          src,
          dst,
          shape: [20, 30],
          srcStrides: [7 * cols, 2],
          dstStrides: [31, 1],
          dstOffset: 1,
          dstElems: 20 * 31 + 1,
        },
        input,
      );
      add(
        `lengths-${src}-${dst}`,
        { src, dst, shape: [], lengths: Array.from({ length: 70 }, (_, i) => i + 1), dstElems: 80 },
        input,
      );
    }
  }
  return jobs;
}

function runChild(dir: string, isa: string): Promise<{ isa: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, dir], { env: { ...process.env, MANTISSA_ISA: isa } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`MANTISSA_ISA=${isa}: exit ${code}\n${err}`)),
    );
  });
}

function firstDifference(a: Uint8Array, b: Uint8Array, itemsize: number): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  if (Buffer.compare(a, b) === 0) return null;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const e = Math.floor(i / itemsize);
      const hex = (x: Uint8Array) =>
        Buffer.from(x.subarray(e * itemsize, (e + 1) * itemsize))
          .reverse()
          .toString('hex');
      return `element ${e}: 0x${hex(a)} vs 0x${hex(b)}`;
    }
  }
  return null;
}

describe('cast: every ISA path gives the same bits', () => {
  const best = backendInfo().isa;
  const lower = LEVELS.slice(0, LEVELS.indexOf(best));
  const dir = mkdtempSync(join(tmpdir(), 'mantissa-cast-isa-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`runs the casts under ${lower.join(', ') || 'no other ISA'} as under ${best}`, async () => {
    const jobs = buildJobs();
    const manifest: Record<string, CastJob> = {};
    const here = new Map<string, Uint8Array>();
    for (const [name, { job, input }] of jobs) {
      manifest[name] = job;
      writeFileSync(join(dir, `${name}.in`), input);
      here.set(name, runCastJob(native, job, input));
    }
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(manifest));
    // One child at a time: each writes its outputs into the shared folder.
    for (const isa of lower) {
      const info = await runChild(dir, isa);
      expect(info.isa, 'the child runs the ISA it was capped to').toBe(isa);
      const bad: string[] = [];
      for (const [name, { job }] of jobs) {
        const diff = firstDifference(
          new Uint8Array(readFileSync(join(dir, `${name}.out`))),
          here.get(name)!,
          DTYPES[job.dst as DType].itemsize,
        );
        if (diff !== null) bad.push(`${name}: ${diff}`);
      }
      expect(bad, `MANTISSA_ISA=${isa} vs ${best}`).toEqual([]);
    }
  });
});
