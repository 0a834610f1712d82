// The GEMM on every instruction set below this machine's: matmul.test.ts (the PyTorch fixtures and the
// bit-exact float32-chain references, which every path must meet) runs in a child process per level,
// since MANTISSA_ISA is read once when the addon loads. On avx512 (no avx512_bf16) bfloat16 takes the
// widening float32 path, so that level is run even on a machine with avx512_bf16.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../src/index';

const LEVELS = ['scalar', 'avx2', 'avx512', 'avx512bf16'];
const lower = LEVELS.slice(0, LEVELS.indexOf(backendInfo().isa));

describe.runIf(process.env.MANTISSA_ISA === undefined).each(lower)('instruction set %s', (isa) => {
  it('passes matmul.test.ts', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST')) env[k] = v;
    env.MANTISSA_ISA = isa;
    env.NO_COLOR = '1';
    const require = createRequire(import.meta.url);
    const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
    const child = spawnSync(process.execPath, [vitest, 'run', 'test/matmul.test.ts', '--reporter=dot'], {
      cwd: join(__dirname, '..'),
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status, `${child.stdout}\n${child.stderr}`.slice(-4000)).toBe(0);
    expect(child.stdout).toMatch(/Tests\s+1\d\d passed/);
  });
});
