// The CUDA GEMM's logic without a GPU: test/cuda/gemm-host.cu compiles the kernels' tile functions
// (kernels/cuda/gemm_tiles.cuh) and the cuBLASLt planning (cublaslt.cuh) for the host with nvcc, runs
// whole grids of the SIMT and tensor-core tiles against plain loops bit for bit, executes cuBLASLt's
// column-major plans the way cuBLASLt would against the plain product, and checks the library search
// order. Skipped where nvcc is absent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNvcc } from '../scripts/cuda-build.mjs';

const nvcc = process.env.MANTISSA_CUDA === '0' ? null : findNvcc();

describe.skipIf(nvcc === null)('the CUDA GEMM’s tiles and cuBLASLt plans, run on the host', () => {
  it('equal plain loops, and the search order is as documented', () => {
    const exe = join(mkdtempSync(join(tmpdir(), 'mt-cuda-gemm-host-')), 'gemm-host');
    const root = join(__dirname, '..');
    const cc = spawnSync(
      nvcc!,
      [
        '-std=c++17',
        '-O2',
        '--fmad=false',
        `-I${join(root, '..', '..', 'kernels', 'include')}`,
        join(__dirname, 'cuda', 'gemm-host.cu'),
        '-o',
        exe,
      ],
      { encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const run = spawnSync(exe, { encoding: 'utf8', env: { ...process.env, MANTISSA_CUBLASLT: '' } });
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1), run.stderr).toBe('done');
    const families = lines.slice(0, -1).map((l) => {
      const [name, checked, bad, ...first] = l.split(' ');
      return { name, checked: Number(checked), bad: Number(bad), first: first.join(' ') };
    });
    expect(families.map((f) => f.name).sort()).toEqual(
      [
        'lt-paths',
        'lt-plan',
        'simt-bf16-c-f32',
        'simt-f16',
        'simt-f32',
        'simt-f64',
        'wmma-bf16',
        'wmma-f16',
        'wmma-f16-c-f32',
      ].sort(),
    );
    for (const f of families) {
      expect(f.checked, f.name).toBeGreaterThan(f.name === 'lt-paths' ? 4 : 10000);
      expect(f, f.first).toMatchObject({ bad: 0 });
    }
  }, 60_000);
});
