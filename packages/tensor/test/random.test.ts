import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  backendInfo,
  DTypeError,
  getRngState,
  initialSeed,
  manualSeed,
  memory,
  rand,
  randn,
  setNumThreads,
  setRngState,
  type Tensor,
  tidy,
} from '../src/index';
import { ensureDist } from './helpers/dist';

const FLOATS = ['float32', 'float16', 'bfloat16', 'float64'] as const;

function stats(values: ArrayLike<number>): { min: number; max: number; mean: number; std: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return { min, max, mean, std: Math.sqrt(sq / values.length - mean * mean) };
}

describe('rand', () => {
  // Enough draws that every one of float16's 2048 (bfloat16's 256) levels below 1 appears: the top one
  // misses with p < e^-100.
  const N = 1 << 18;
  for (const dtype of FLOATS) {
    it(`${dtype}: values in [0, 1), never 1.0, reaching the top level below 1`, () =>
      tidy(() => {
        const s = stats(rand([N], { dtype }).data());
        expect(s.min).toBeGreaterThanOrEqual(0);
        expect(s.max).toBeLessThan(1);
        const top = {
          float32: 1 - 1e-4,
          float16: 1 - 2 ** -11,
          bfloat16: 1 - 2 ** -8,
          float64: 1 - 1e-4,
        }[dtype];
        expect(s.max).toBeGreaterThanOrEqual(top);
        // Loose: the standard error of the mean is 0.29 / sqrt(N) = 0.0006.
        expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.005);
        expect(Math.abs(s.std - Math.sqrt(1 / 12))).toBeLessThan(0.005);
      }));
  }

  it('fills every element of a shape that does not divide into Philox blocks', () =>
    tidy(() => {
      for (const n of [1, 2, 3, 5, 7]) {
        for (const dtype of FLOATS) {
          const v = rand([n], { dtype }).data();
          // Uninitialised memory would show up as values outside [0, 1) or as exact repeats.
          expect(Array.from(v).every((x) => x >= 0 && x < 1)).toBe(true);
        }
      }
    }));

  it('refuses non-float dtypes with a DTypeError', () => {
    for (const dtype of ['int32', 'bool'] as const) {
      for (const f of [rand, randn]) {
        let err: unknown;
        try {
          f([2], { dtype });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DTypeError);
        expect((err as Error).message).toMatch(
          new RegExp(`^(rand|randn): unsupported dtype ${dtype} \\(expected float32`),
        );
      }
    }
    expect(() => rand([2], { dtype: 'float8' as never })).toThrow(DTypeError);
  });

  it('empty shapes consume no random state', () =>
    tidy(() => {
      const before = getRngState();
      expect(rand([0, 3]).shape).toEqual([0, 3]);
      expect(randn([2, 0]).shape).toEqual([2, 0]);
      expect(getRngState()).toEqual(before);
    }));
});

describe('randn', () => {
  for (const dtype of FLOATS) {
    it(`${dtype}: mean ~ 0 and std ~ 1 over 100k samples`, () =>
      tidy(() => {
        const s = stats(randn([100_000], { dtype }).data());
        // Standard errors: mean 0.0032, std 0.0022; bounds at > 6 sigma.
        expect(Math.abs(s.mean)).toBeLessThan(0.02);
        expect(Math.abs(s.std - 1)).toBeLessThan(0.015);
        expect(s.min).toBeLessThan(-3.5);
        expect(s.max).toBeGreaterThan(3.5);
        expect(Number.isFinite(s.min) && Number.isFinite(s.max)).toBe(true);
      }));
  }
});

function digest(t: Tensor): string {
  const raw = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : t.data();
  return createHash('sha256')
    .update(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))
    .digest('hex');
}

// Large enough that the kernels split the work across threads (4096 Philox blocks a chunk).
const DRAWS = `[
  rand([200003]), rand([70001], { dtype: 'float16' }), rand([50001], { dtype: 'float64' }),
  randn([100001]), randn([30001], { dtype: 'bfloat16' }), randn([40001], { dtype: 'float64' }),
]`;
const draws = (): Tensor[] => [
  rand([200003]),
  rand([70001], { dtype: 'float16' }),
  rand([50001], { dtype: 'float64' }),
  randn([100001]),
  randn([30001], { dtype: 'bfloat16' }),
  randn([40001], { dtype: 'float64' }),
];

describe('reproducibility', () => {
  it('manualSeed replays the same sequence of calls', () =>
    tidy(() => {
      manualSeed(1234);
      const a = draws().map(digest);
      const next = digest(rand([10]));
      manualSeed(1234);
      expect(draws().map(digest)).toEqual(a);
      expect(digest(rand([10]))).toBe(next);
      manualSeed(1235);
      expect(draws().map(digest)).not.toEqual(a);
      expect(initialSeed()).toBe(1235);
    }));

  it('consecutive calls give different values', () =>
    tidy(() => {
      manualSeed(5);
      expect(digest(rand([16]))).not.toBe(digest(rand([16])));
    }));

  it('getRngState / setRngState round trip', () =>
    tidy(() => {
      manualSeed(99);
      rand([33]);
      const state = getRngState();
      const a = draws().map(digest);
      const after = getRngState();
      setRngState(state);
      expect(getRngState()).toEqual(state);
      expect(draws().map(digest)).toEqual(a);
      expect(getRngState()).toEqual(after);
      // The state is plain data: it survives JSON (a checkpoint).
      setRngState(JSON.parse(JSON.stringify(state)));
      expect(draws().map(digest)).toEqual(a);
    }));

  it('bad seeds and states are ArgumentErrors', () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 53, '1', null]) {
      expect(() => manualSeed(seed as number), String(seed)).toThrow(ArgumentError);
    }
    for (const state of [
      { seed: 1, offset: -1 },
      { seed: 1, offset: 0.5 },
      { seed: -1, offset: 0 },
      { seed: 1 },
    ]) {
      expect(() => setRngState(state as never), JSON.stringify(state)).toThrow(ArgumentError);
    }
  });

  it('does not depend on the thread count, in-process or via MANTISSA_NUM_THREADS', () => {
    const threads = backendInfo().threads;
    const run = () =>
      tidy(() => {
        manualSeed(2024);
        return draws().map(digest);
      });
    const reference = run();
    try {
      setNumThreads(1);
      expect(run()).toEqual(reference);
      setNumThreads(3);
      expect(run()).toEqual(reference);
    } finally {
      setNumThreads(threads);
    }
    const dist = ensureDist();
    const script = `
      import { createHash } from 'node:crypto';
      import { backendInfo, manualSeed, rand, randn } from ${JSON.stringify(dist)};
      const digest = (t) => {
        const raw = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : t.data();
        return createHash('sha256').update(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)).digest('hex');
      };
      manualSeed(2024);
      console.log(JSON.stringify({ threads: backendInfo().threads, digests: ${DRAWS}.map(digest) }));`;
    for (const n of ['1', '3']) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, MANTISSA_NUM_THREADS: n },
        encoding: 'utf8',
      });
      const child = JSON.parse(out) as { threads: number; digests: string[] };
      expect(child.threads).toBe(Number(n));
      expect(child.digests).toEqual(reference);
    }
  });

  it('frees everything it allocated', () => {
    const before = memory();
    tidy(() => {
      draws();
    });
    expect(memory()).toEqual(before);
  });
});
