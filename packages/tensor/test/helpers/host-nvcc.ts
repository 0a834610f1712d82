// Host programs that nvcc builds from the CUDA kernels' __host__ __device__ code (test/cuda/*.cu): the
// CUDA path's logic checked on a machine without a GPU.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { findNvcc } from '../../scripts/cuda-build.mjs';

/** nvcc, or null where it is absent or MANTISSA_CUDA=0 (the tests that need it skip). */
export const nvcc: string | null = process.env.MANTISSA_CUDA === '0' ? null : findNvcc();

const testDir = join(__dirname, '..');

/** Compiles test/cuda/<name>.cu as the CUDA build does (no fma contraction) into a temporary executable. */
export function buildHostProgram(name: string): string {
  const exe = join(mkdtempSync(join(tmpdir(), `mt-${name}-`)), name);
  const cc = spawnSync(
    nvcc!,
    [
      '-std=c++17',
      '-O2',
      '--fmad=false',
      `-I${join(testDir, '..', '..', '..', 'kernels', 'include')}`,
      join(testDir, 'cuda', `${name}.cu`),
      '-o',
      exe,
    ],
    { encoding: 'utf8' },
  );
  expect(cc.status, cc.stderr).toBe(0);
  return exe;
}

export interface Family {
  name: string;
  checked: number;
  bad: number;
  first: string;
}

/**
 * Runs a host program that prints one line per family of checks, `name checked bad [first mismatch]`,
 * then `done`, and returns the families.
 */
export function runFamilies(exe: string, env: NodeJS.ProcessEnv = process.env): Family[] {
  const run = spawnSync(exe, { encoding: 'utf8', env });
  const lines = run.stdout.trim().split('\n');
  expect(lines.at(-1), run.stderr).toBe('done');
  return lines.slice(0, -1).map((l) => {
    const [name, checked, bad, ...first] = l.split(' ');
    return { name: name!, checked: Number(checked), bad: Number(bad), first: first.join(' ') };
  });
}
