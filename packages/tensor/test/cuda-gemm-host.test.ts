// The CUDA GEMM's logic without a GPU: test/cuda/gemm-host.cu compiles the kernels' tile functions
// (kernels/cuda/gemm_tiles.cuh) and the cuBLASLt planning (cublaslt.cuh) for the host with nvcc, runs
// whole grids of the SIMT and tensor-core tiles against plain loops bit for bit, executes cuBLASLt's
// column-major plans the way cuBLASLt would against the plain product, and checks the library search
// order. Skipped where nvcc is absent.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { library } from '../scripts/cuda-build.mjs';
import { buildHostProgram, nvcc, runFamilies } from './helpers/host-nvcc';

describe.skipIf(nvcc === null)('the CUDA GEMM’s tiles and cuBLASLt plans, run on the host', () => {
  it('equal plain loops, and the search order is as documented', () => {
    const families = runFamilies(buildHostProgram('gemm-host'), { ...process.env, MANTISSA_CUBLASLT: '' });
    expect(families.map((f) => f.name).sort()).toEqual(
      [
        'batch',
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

  // The loader of the built library (dlopen, dlsym of every symbol, dladdr) against a stand-in .so.
  it.skipIf(!existsSync(library))(
    'finds libcublasLt where MANTISSA_CUBLASLT and the loader path say',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mt-cuda-gemm-loader-'));
      for (const [out, flags] of [
        ['libcublasLt.so.12', []],
        ['libmissing.so', ['-DMISSING']],
      ] as const) {
        const cc = spawnSync(
          'cc',
          ['-shared', '-fPIC', ...flags, join(__dirname, 'cuda', 'fake-cublaslt.c'), '-o', join(dir, out)],
          {
            encoding: 'utf8',
          },
        );
        expect(cc.status, cc.stderr).toBe(0);
      }
      mkdirSync(join(dir, 'home', 'lib64'), { recursive: true });
      copyFileSync(join(dir, 'libcublasLt.so.12'), join(dir, 'home', 'lib64', 'libcublasLt.so.12'));
      const exe = join(dir, 'loader');
      const ld = spawnSync(nvcc!, [join(__dirname, 'cuda', 'gemm-loader.cu'), library, '-o', exe, '-ldl'], {
        encoding: 'utf8',
      });
      expect(ld.status, ld.stderr).toBe(0);
      const info = (env: Record<string, string>) =>
        spawnSync(exe, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } }).stdout.trim();
      expect(info({ MANTISSA_CUBLASLT: join(dir, 'libcublasLt.so.12') })).toBe(
        join(dir, 'libcublasLt.so.12'),
      );
      expect(info({ MANTISSA_CUBLASLT: join(dir, 'libmissing.so') })).toMatch(
        /libmissing\.so lacks cublasLtMatmul$/,
      );
      expect(info({ MANTISSA_CUBLASLT: '0' })).toBe('disabled by MANTISSA_CUBLASLT=0');
      // $CUDA_HOME/lib64 comes before every other folder.
      expect(info({ CUDA_HOME: join(dir, 'home') })).toBe(join(dir, 'home', 'lib64', 'libcublasLt.so.12'));
      // A plain soname through the loader path (dladdr reports the file it opened), unless the default
      // install folder, searched before it, holds a real one.
      const system = ['13', '12', '11'].some((v) => existsSync(`/usr/local/cuda/lib64/libcublasLt.so.${v}`));
      if (!system) expect(info({ LD_LIBRARY_PATH: dir, HOME: dir })).toBe(join(dir, 'libcublasLt.so.12'));
    },
    60_000,
  );
});
