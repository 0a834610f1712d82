// Runs the same kernel jobs under every instruction set the CPU has (each in a child process, since
// MANTISSA_ISA is read once when the addon loads) so tests can hold the SIMD rows to the scalar loops
// bit for bit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backendInfo, DTYPES, type DType } from '../../src/index';

export interface JobTensor {
  dtype: number;
  shape: number[];
  strides: number[];
  offset: number;
  data: string;
}

export interface Job {
  label: string;
  kernel: string;
  attrs: number[];
  tensors: JobTensor[];
}

const LEVELS = ['scalar', 'avx2', 'avx512', 'avx512bf16'] as const;

/** The ISA levels this CPU runs, lowest first (the highest is what the library picks by default). */
export function availableIsas(): string[] {
  const top = LEVELS.indexOf(backendInfo().isa as (typeof LEVELS)[number]);
  return LEVELS.slice(0, top + 1).filter((l) => l !== 'avx512bf16');
}

/** The output storage of each job (base64), or its error, computed under `isa`. */
export function runUnderIsa(
  isa: string,
  jobs: readonly Job[],
): { isa: string; results: (string | { error: string })[] } {
  const child = spawnSync(process.execPath, [join(__dirname, 'isa-child.mjs')], {
    input: JSON.stringify(jobs),
    env: { ...process.env, MANTISSA_ISA: isa },
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`isa-child (${isa}) failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Raw element bits for a dtype: mostly ordinary values, plus signed zeros, infinities, NaNs with
 * payloads (quiet and signalling, either sign), subnormals and arbitrary bit patterns.
 */
export function randomBytes(dtype: DType, n: number, rand: () => number): Uint8Array {
  if (dtype === 'float32') {
    const u = new Uint32Array(n);
    const special = [
      0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x00000001, 0x807fffff,
      0x7f7fffff, 0x3f800000,
    ];
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.1) u[i] = special[Math.floor(rand() * special.length)]!;
      else if (r < 0.2) u[i] = Math.floor(rand() * 4294967296);
      else
        u[i] =
          ((rand() < 0.5 ? 0x80000000 : 0) |
            ((100 + Math.floor(rand() * 56)) << 23) |
            Math.floor(rand() * 0x800000)) >>>
          0;
    }
    return new Uint8Array(u.buffer);
  }
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const h = new Uint16Array(n);
    const [lo, span, manBits] = dtype === 'float16' ? [10, 10, 10] : [115, 24, 7];
    for (let i = 0; i < n; i++) {
      if (rand() < 0.3) h[i] = Math.floor(rand() * 65536);
      else
        h[i] =
          (rand() < 0.5 ? 0x8000 : 0) |
          ((lo + Math.floor(rand() * span)) << manBits) |
          Math.floor(rand() * (1 << manBits));
    }
    return new Uint8Array(h.buffer);
  }
  throw new Error(`randomBytes: ${dtype}`);
}

/** A 1-D tensor of n elements at `offset` in a storage padded with a fixed pattern on both sides. */
export function tensorOf(dtype: DType, n: number, rand: () => number, offset = 0, stride = 1): JobTensor {
  const span = n === 0 ? 0 : (n - 1) * stride + 1;
  const total = offset + span + 5;
  const bytes = randomBytes(dtype, total, rand);
  return {
    dtype: DTYPES[dtype].code,
    shape: [n],
    strides: [stride],
    offset,
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}

/** An output tensor: n elements at `offset`, the storage filled with 0xA5 so stray writes show. */
export function outputOf(dtype: DType, n: number, offset = 0): JobTensor {
  const size = DTYPES[dtype].itemsize;
  const total = offset + n + 7;
  return {
    dtype: DTYPES[dtype].code,
    shape: [n],
    strides: [1],
    offset,
    data: Buffer.alloc(total * size, 0xa5).toString('base64'),
  };
}

/** Checks that every ISA gives the same output bytes as the scalar loops, job by job. */
export function compareAcrossIsas(jobs: readonly Job[]): { isas: string[]; mismatches: string[] } {
  const isas = availableIsas();
  const runs = isas.map((isa) => runUnderIsa(isa, jobs));
  const mismatches: string[] = [];
  runs.forEach((run, k) => {
    if (run.isa !== isas[k]) mismatches.push(`asked for ${isas[k]}, the child ran ${run.isa}`);
  });
  jobs.forEach((job, j) => {
    const ref = runs[0]!.results[j]!;
    if (typeof ref !== 'string') {
      mismatches.push(`${job.label}: scalar run failed: ${ref.error}`);
      return;
    }
    const pad = Buffer.alloc(7 * itemsizeOf(job.tensors.at(-1)!.dtype), 0xa5);
    const refBytes = Buffer.from(ref, 'base64');
    if (!refBytes.subarray(refBytes.length - pad.length).equals(pad))
      mismatches.push(`${job.label}: wrote past the output`);
    for (let k = 1; k < runs.length; k++) {
      const got = runs[k]!.results[j]!;
      if (typeof got !== 'string') {
        mismatches.push(`${job.label}: ${isas[k]} failed: ${got.error}`);
        continue;
      }
      const at = firstDiff(job.tensors.at(-1)!.dtype, refBytes, Buffer.from(got, 'base64'));
      if (at >= 0) mismatches.push(`${job.label}: ${isas[k]} differs from scalar at element ${at}`);
    }
  });
  return { isas, mismatches };
}

function itemsizeOf(code: number): number {
  return Object.values(DTYPES).find((d) => d.code === code)!.itemsize;
}

/**
 * The first element where two output storages differ, or -1. Any NaN equals any NaN: when both inputs
 * are NaN, x86 returns the first operand's payload, and the compiler may swap the operands of a
 * commutative instruction, so which payload wins is not defined (a GPU returns a canonical NaN).
 */
function firstDiff(dtypeCode: number, a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return 0;
  const size = itemsizeOf(dtypeCode);
  const nanAt = (buf: Buffer, i: number): boolean => {
    if (dtypeCode === DTYPES.float32.code) return Number.isNaN(buf.readFloatLE(i * 4));
    const h = buf.readUInt16LE(i * 2);
    if (dtypeCode === DTYPES.float16.code) return (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (dtypeCode === DTYPES.bfloat16.code) return (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
    return false;
  };
  for (let i = 0; i < a.length / size; i++) {
    if (a.subarray(i * size, (i + 1) * size).equals(b.subarray(i * size, (i + 1) * size))) continue;
    if (!(nanAt(a, i) && nanAt(b, i))) return i;
  }
  return -1;
}
