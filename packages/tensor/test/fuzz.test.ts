import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  arange,
  DTYPES,
  full,
  MantissaError,
  memory,
  ones,
  rand,
  randn,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../src/index';
import { native } from '../src/native';

const FUZZER = join(__dirname, 'helpers', 'binding-fuzz.mjs');

/** Runs a node script in a child process, so that a crash is a failed assertion, not a dead vitest. */
function child(args: string[]): { status: number | null; signal: string | null; out: string } {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 50_000 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

describe('raw addon fuzz (child process)', () => {
  it('the harness reports a crashing child as a failure', () => {
    const r = child(['-e', "process.kill(process.pid, 'SIGSEGV')"]);
    expect(r.signal).toBe('SIGSEGV');
    expect(r.status).toBeNull();
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 20,000 random calls, each returns or throws a JS Error, and the process survives`, () => {
      const r = child([FUZZER, String(seed), '20000']);
      expect(r.signal, r.out).toBeNull();
      expect(r.status, r.out).toBe(0);
      const m = /FUZZ-DONE seed=(\d+) calls=20000 ok=(\d+) thrown=(\d+) checked=(\d+)/.exec(r.out);
      expect(m, r.out).not.toBeNull();
      // Both outcomes are exercised in bulk, and many valid calls had their results checked.
      expect(Number(m![2])).toBeGreaterThan(3000);
      expect(Number(m![3])).toBeGreaterThan(3000);
      expect(Number(m![4])).toBeGreaterThan(2000);
    });
  }
});

describe('binding validation, case by case', () => {
  const b = native;
  const fill = b.kernelId('fill');
  const run = (desc: number[], attrs: number[] = [0]) =>
    b.run(fill, new Float64Array(desc), 1, new Float64Array(attrs), attrs.length);

  it('a layout ending on the last byte runs; one element further is refused', () => {
    const id = b.alloc(16);
    try {
      run([id, 0, 1, 0, 4, 1]); // float32 elements 0..3
      run([id, 0, 2, 1, 2, 3, 0, 1]); // [2, 3] with strides [0, 1] from offset 1: elements 1..3
      run([id, 3, 1, 1, 1, 1]); // float64 element 1 = bytes 8..15
      expect(() => run([id, 0, 1, 1, 4, 1])).toThrow(
        'argument 0: view reaches byte 20 of a storage of 16 bytes',
      );
      expect(() => run([id, 3, 1, 0, 2, 2])).toThrow('view reaches byte 24 of a storage of 16 bytes');
      expect(() => run([id, 0, 1, 0, 3, 2])).toThrow('view reaches byte 20');
    } finally {
      b.free(id);
    }
  });

  it('empty layouts with huge sizes or strides are refused, so kernel index arithmetic cannot overflow', () => {
    const id = b.alloc(16);
    try {
      run([id, 0, 3, 0, 0, 2 ** 40, 2 ** 40, 1, 1, 1]); // empty, but the other sizes multiply to 2^80
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('too many elements');
    }
    expect(() => run([id, 0, 2, 0, 0, 3, 1, 2 ** 53])).toThrow(
      'reaches element 18014398509481984, beyond 2^53',
    );
    run([id, 0, 2, 0, 0, 3, 2 ** 40, 2 ** 40]); // empty with large but exact strides: fine
    b.free(id);
  });

  it('copies to and from typed arrays of any kind, including SharedArrayBuffer-backed and windowed ones', () => {
    const id = b.alloc(8);
    try {
      const shared = new Float32Array(new SharedArrayBuffer(8));
      shared.set([1.5, -2]);
      b.copyIn(id, 0, shared);
      const window = new Float32Array(4).subarray(1, 3);
      b.copyOut(id, 0, window);
      expect(Array.from(window)).toEqual([1.5, -2]);
      const bytes = new Uint8Array(8);
      b.copyOut(id, 0, bytes);
      expect(Array.from(new Float32Array(bytes.buffer))).toEqual([1.5, -2]);
      expect(() => b.copyOut(id, 4, new Float32Array(2))).toThrow(
        'copyOut: range [4, +8) is outside the storage of 8 bytes',
      );
      expect(() => b.copyIn(id, 0.5, new Uint8Array(1))).toThrow('copyIn: range [0.5, +1)');
      expect(() => b.copyIn(id, 0, new DataView(new ArrayBuffer(1)) as never)).toThrow(
        'copyIn: expected a typed array',
      );
    } finally {
      b.free(id);
    }
    expect(() => b.copyIn(id, 0, new Uint8Array(1))).toThrow(`copyIn: storage ${id} is not allocated`);
    expect(b.free(id)).toBe(false);
  });
});

// mulberry32, as in the raw fuzzer.
function rng(seed: number) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return { random, int, pick, chance: (p: number) => random() < p };
}

const HOSTILE: unknown[] = [
  -1,
  -2,
  0.5,
  Number.NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 53,
  1e300,
  '2',
  null,
  undefined,
  {},
  [],
  true,
];
const DTYPE_NAMES = [
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int32',
  'bool',
  'float8',
  'int64',
  '',
  'half',
  7,
];

describe('public API fuzz', () => {
  it.each([20261128, 7, 8])(
    'seed %i: random shapes, axes and dtypes into views and creation throw only MantissaErrors',
    (seed) => {
      const { random, int, pick, chance } = rng(seed);
      const dim = () => (chance(0.85) ? int(-3, 4) : pick(HOSTILE));
      const size = () => (chance(0.85) ? int(0, 4) : chance(0.5) ? -1 : pick(HOSTILE));
      const shape = () => (chance(0.95) ? Array.from({ length: int(0, 5) }, size) : pick(HOSTILE));
      const dtype = () => (chance(0.85) ? pick(DTYPE_NAMES.slice(0, 6)) : pick(DTYPE_NAMES));
      const numelOf = (s: unknown) =>
        Array.isArray(s) && s.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)
          ? (s as number[]).reduce((a, b) => a * b, 1)
          : 0;
      // Valid shapes are capped so a call never allocates much; refused ones may be arbitrarily large.
      const affordable = (s: unknown) => numelOf(s) <= 4096 || numelOf(s) > 2 ** 46;

      /** Every view stays inside its storage and has a well-formed shape. */
      function checkLayout(t: Tensor): void {
        expect(t.shape.length).toBeLessThanOrEqual(8);
        expect(t.strides.length).toBe(t.shape.length);
        for (const v of [...t.shape, ...t.strides, t.offset])
          expect(Number.isSafeInteger(v) && v >= 0, `${t} strides ${t.strides} offset ${t.offset}`).toBe(
            true,
          );
        if (t.numel > 0) {
          const last = t.offset + t.shape.reduce((a, s, d) => a + (s - 1) * t.strides[d]!, 0);
          expect((last + 1) * DTYPES[t.dtype].itemsize).toBeLessThanOrEqual(t.storage.bytes);
        }
      }

      const viewOps: ((x: Tensor) => Tensor | unknown)[] = [
        (x) => x.reshape(shape() as number[]),
        (x) => x.view(shape() as number[]),
        (x) =>
          x.permute(
            chance(0.7)
              ? [...x.shape.keys()].sort(() => random() - 0.5).map((d) => (chance(0.2) ? d - x.ndim : d))
              : (shape() as number[]),
          ),
        (x) => x.transpose(dim() as number, dim() as number),
        (x) =>
          x.slice(
            dim() as number,
            chance(0.8) ? int(-6, 6) : (pick(HOSTILE) as number),
            chance(0.5) ? undefined : (dim() as number),
            chance(0.8) ? int(1, 3) : (pick(HOSTILE) as number),
          ),
        (x) => x.narrow(dim() as number, int(-5, 5), chance(0.9) ? int(0, 4) : (pick(HOSTILE) as number)),
        (x) =>
          x.expand(
            chance(0.6)
              ? [
                  ...Array(int(0, 2)).fill(int(1, 3)),
                  ...x.shape.map((s) => (s === 1 ? int(0, 3) : chance(0.8) ? s : size())),
                ]
              : (shape() as number[]),
          ),
        (x) => x.squeeze(chance(0.3) ? undefined : (dim() as number)),
        (x) => x.unsqueeze(dim() as number),
        (x) => x.contiguous(),
        (x) => x.flatten(),
        (x) => x.T,
        (x) => x.to(dtype() as never),
        // toArray of an empty [1, 2^31, 0] is 2^31 nested empty arrays: bound what it would build.
        (x) => (x.shape.reduce((a, s) => a * Math.max(s, 1), 1) <= 4096 ? x.toArray() : null),
        (x) => x.item(),
        (x) => x.bits(),
      ];
      const creators: (() => Tensor)[] = [
        () => {
          const s = shape();
          if (!affordable(s)) return zeros([1]);
          return pick([zeros, ones, rand, randn])(
            s as number[],
            chance(0.9) ? { dtype: dtype() as never } : (pick(HOSTILE) as never),
          );
        },
        () => {
          const s = shape();
          if (!affordable(s)) return zeros([1]);
          return full(
            s as number[],
            chance(0.8) ? pick([0, 1.5, -2, 1e6, Number.NaN, true]) : (pick(HOSTILE) as number),
            { dtype: dtype() as never },
          );
        },
        () => {
          const [a, b, c] = [
            int(-10, 10),
            int(-10, 10),
            chance(0.8) ? pick([1, 2, -1, 0.5, -0.3, 3]) : (pick(HOSTILE) as number),
          ];
          return chance(0.3) ? arange(a) : arange(a, b, c, { dtype: dtype() as never });
        },
        () => {
          const n = int(0, 3);
          const nested = (d: number): unknown =>
            d === 0
              ? chance(0.95)
                ? random() * 10 - 5
                : pick(HOSTILE)
              : Array.from({ length: chance(0.9) ? n : int(0, 4) }, () => nested(d - 1));
          return tensor(
            nested(int(0, 3)) as never,
            chance(0.8) ? { dtype: dtype() as never } : { shape: shape() as number[] },
          );
        },
        () =>
          tensor(
            pick([
              new Float32Array(4),
              new Int32Array(3),
              new Uint8Array(2),
              new Float64Array(0),
              new Int16Array(5),
            ]),
            { dtype: dtype() as never },
          ),
      ];

      const before = memory();
      let ok = 0;
      let refused = 0;
      for (let i = 0; i < 4000; i++) {
        tidy(() => {
          try {
            let x = pick(creators)();
            checkLayout(x);
            // A view of 2^40 elements is free; copying it (contiguous, to, reshape) is not: stop there.
            for (let k = int(1, 4); k > 0 && x.numel <= 1 << 16; k--) {
              const y = pick(viewOps)(x);
              ok++;
              if (y !== null && typeof y === 'object' && 'storage' in (y as object)) {
                x = y as Tensor;
                checkLayout(x);
              }
            }
          } catch (e) {
            if (!MantissaError.isInstance(e)) {
              throw new Error(
                `iteration ${i}: a non-Mantissa error escaped: ${(e as Error)?.stack ?? String(e)}`,
              );
            }
            refused++;
          }
        });
      }
      expect(ok).toBeGreaterThan(1500);
      expect(refused).toBeGreaterThan(1000);
      expect(memory()).toEqual(before);
    },
  );
});
