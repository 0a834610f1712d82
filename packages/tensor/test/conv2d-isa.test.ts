// conv2d on every instruction set below this machine's: the PyTorch fixtures and the exact-integer
// blocking tests run in a child process per level (MANTISSA_ISA is read once, when the addon loads),
// so the scalar im2col loops, AVX2's tiles and the AVX-512 stride-2 gathers are all held to them.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../src/index';

const LEVELS = ['scalar', 'avx2', 'avx512', 'avx512bf16'];
const lower = LEVELS.slice(0, LEVELS.indexOf(backendInfo().isa));

describe.runIf(process.env.MANTISSA_ISA === undefined).each(lower)('instruction set %s', (isa) => {
  it('passes conv2d.test.ts and conv2d-exact.test.ts', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST')) env[k] = v;
    env.MANTISSA_ISA = isa;
    env.NO_COLOR = '1';
    const require = createRequire(import.meta.url);
    const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
    const child = spawnSync(
      process.execPath,
      [vitest, 'run', 'test/conv2d.test.ts', 'test/conv2d-exact.test.ts', '--reporter=dot'],
      { cwd: join(__dirname, '..'), env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(child.status, `${child.stdout}\n${child.stderr}`.slice(-4000)).toBe(0);
    expect(child.stdout).toMatch(/Tests\s+97 passed/);
  });
});
