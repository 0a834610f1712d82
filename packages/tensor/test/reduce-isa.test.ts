// The reductions give the same bits on every instruction set and every thread count: the SIMD tables
// reproduce the scalar summation order exactly, and the split into partials depends on shapes only.
//
// The ISA is chosen once per process, so the lower levels run in child processes (MANTISSA_ISA caps the
// level): each child runs the PyTorch fixture suite (reduce.test.ts) under its ISA and dumps the probe
// results of this file, which the parent compares with its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfo, setNumThreads } from '../src/index';
import { probeReductions } from './reduce-helpers';

const dumpPath = process.env.MANTISSA_REDUCE_DUMP;
const LEVELS = ['scalar', 'avx2', 'avx512', 'avx512bf16'];

if (dumpPath !== undefined) {
  // Child mode: record this ISA's results for the parent.
  it(`dumps the probe under ${process.env.MANTISSA_ISA}`, () => {
    expect(backendInfo().isa).toBe(process.env.MANTISSA_ISA);
    writeFileSync(dumpPath, JSON.stringify(probeReductions()));
  });
} else {
  const initialThreads = backendInfo().threads;
  afterAll(() => setNumThreads(initialThreads));

  describe('thread count', () => {
    it('does not change any bit of any result', () => {
      setNumThreads(1);
      const one = probeReductions();
      setNumThreads(3);
      const three = probeReductions();
      setNumThreads(initialThreads);
      expect(Object.keys(one).length).toBeGreaterThan(300);
      expect(three).toEqual(one);
    });
  });

  // Every level below the machine's own (avx512 shares the avx512bf16 reduction code, so it is
  // skipped when the machine has both).
  const best = LEVELS.indexOf(backendInfo().isa);
  const lower = LEVELS.slice(0, best).filter((l) => !(l === 'avx512' && LEVELS[best] === 'avx512bf16'));

  describe.each(lower)('instruction set %s', (isa) => {
    it('passes the PyTorch fixtures and matches this process bit for bit', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mantissa-reduce-'));
      try {
        const dump = join(dir, 'probe.json');
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST')) env[k] = v;
        env.MANTISSA_ISA = isa;
        env.MANTISSA_REDUCE_DUMP = dump;
        env.NO_COLOR = '1';
        const require = createRequire(import.meta.url);
        const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
        const child = spawnSync(
          process.execPath,
          [vitest, 'run', 'test/reduce.test.ts', 'test/reduce-isa.test.ts', '--reporter=dot'],
          { cwd: join(__dirname, '..'), env, encoding: 'utf8', timeout: 120_000 },
        );
        expect(child.status, `${child.stdout}\n${child.stderr}`.slice(-4000)).toBe(0);
        const theirs = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
        const ours = probeReductions();
        for (const key of Object.keys(ours)) expect(theirs[key], key).toBe(ours[key]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
