// The CUDA path's numerics without a GPU: test/cuda/host-check.cu compiles the kernels' scalar code
// (__host__ __device__ in kernels/cuda) for the host with nvcc and compares it bit for bit with the CPU
// reference (half.h): half decoding, float/double -> float16/bfloat16/float32/int32 rounding, NaN
// payloads, exp_f32. Skipped where nvcc is absent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNvcc } from '../scripts/cuda-build.mjs';

const nvcc = process.env.MANTISSA_CUDA === '0' ? null : findNvcc();

describe.skipIf(nvcc === null)('the CUDA kernels’ conversions, run on the host', () => {
  it('equal the CPU reference bit for bit', () => {
    const exe = join(mkdtempSync(join(tmpdir(), 'mt-cuda-host-')), 'host-check');
    const root = join(__dirname, '..');
    const cc = spawnSync(
      nvcc!,
      [
        '-std=c++17',
        '-O2',
        '--fmad=false',
        `-I${join(root, '..', '..', 'kernels', 'include')}`,
        join(__dirname, 'cuda', 'host-check.cu'),
        '-o',
        exe,
      ],
      { encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const run = spawnSync(exe, { encoding: 'utf8' });
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('done');
    const families = lines.slice(0, -1).map((l) => {
      const [name, checked, bad, ...first] = l.split(' ');
      return { name, checked: Number(checked), bad: Number(bad), first: first.join(' ') };
    });
    expect(families.map((f) => f.name).sort()).toEqual(
      [
        'double-to-all',
        'double-to-half',
        'exp_f32',
        'float-to-double',
        'float-to-half',
        'half-decode',
      ].sort(),
    );
    for (const f of families) {
      expect(f.checked, f.name).toBeGreaterThan(100000);
      expect(f, f.first).toMatchObject({ bad: 0 });
    }
  }, 60_000);
});
