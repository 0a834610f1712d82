import { describe, expect, it } from 'vitest';
import { Tensor, tensor, tidy } from '../src/index';
import { expectSameBits, hex16, hex32 } from './helpers/cast-bits';
import { encodeInputs, rng32 } from './helpers/cast-inputs';
import { type FixtureTensor, fixtureValues, loadFixture } from './helpers/fixtures';
import {
  decodeHalf,
  encodeFloat32Array,
  encodeFloat64Array,
  encodeHalf,
  type HalfDType,
  isHalfNaN,
} from './helpers/half-reference';

interface EncodeCase {
  kind: 'encode';
  by: string;
  input: FixtureTensor;
  float16: FixtureTensor;
  bfloat16: FixtureTensor;
}

const HALVES: HalfDType[] = ['float16', 'bfloat16'];
const TOTAL = 10_000_000;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (u: number) => {
  u32[0] = u;
  return f32[0]!;
};

/** Native float32 -> half of raw float32 bits. */
function castBits(bits: Uint32Array, dtype: HalfDType): Uint16Array {
  return tidy(() =>
    tensor(new Float32Array(bits.buffer, bits.byteOffset, bits.length))
      .to(dtype)
      .bits(),
  );
}

describe('cast float32 -> float16/bfloat16', () => {
  const inputs = encodeInputs(TOTAL, decodeHalf);
  const inputBits = new Uint32Array(inputs.buffer);
  const input = tensor(inputs);

  it.each(HALVES)(
    'rounds 10 million float32 values to %s exactly as the reference: boundaries, specials, random',
    (dtype) => {
      const got = tidy(() => input.to(dtype).bits());
      expectSameBits(
        got,
        encodeFloat32Array(inputs, dtype),
        `float32 -> ${dtype}`,
        (i) => `input ${hex32(inputBits[i]!)}`,
      );
    },
  );

  it('matches numpy (float16) and torch (bfloat16) on the edge fixture, and so does the reference', () => {
    const c = loadFixture<EncodeCase>('cast').cases.find((x) => x.kind === 'encode')!;
    const x = fixtureValues(c.input) as Float32Array;
    const xBits = new Uint32Array(x.buffer);
    for (const dtype of HALVES) {
      const want = fixtureValues(c[dtype]) as Uint16Array;
      const got = castBits(xBits, dtype);
      const ref = encodeFloat32Array(x, dtype);
      let nans = 0;
      for (let i = 0; i < x.length; i++) {
        const where = `${dtype} of ${hex32(xBits[i]!)}`;
        if (Number.isNaN(x[i]!)) {
          // torch returns one canonical NaN, numpy keeps a signalling one: only NaN-ness is shared.
          nans++;
          expect(isHalfNaN(want[i]!, dtype) && isHalfNaN(got[i]!, dtype), where).toBe(true);
        } else {
          if (ref[i] !== want[i])
            expect.fail(`reference: ${where} is ${hex16(ref[i]!)}, ${c.by}: ${hex16(want[i]!)}`);
          if (got[i] !== want[i])
            expect.fail(`cast: ${where} is ${hex16(got[i]!)}, ${c.by}: ${hex16(want[i]!)}`);
        }
      }
      expect(nans).toBeGreaterThan(5);
    }
  });

  it('rounds the named edges as IEEE 754 says', () => {
    const cases: [number, number, number][] = [
      // float32 bits, float16, bfloat16
      [0x477fe000, 0x7bff, 0x4780], // 65504: max float16
      [0x477fefff, 0x7bff, 0x4780], // 65519.996: below the overflow midpoint
      [0x477ff000, 0x7c00, 0x4780], // 65520: the midpoint to 2^16 ties to even = inf
      [0xc77ff000, 0xfc00, 0xc780],
      [0x7f7fffff, 0x7c00, 0x7f80], // max float32: inf in bfloat16 too (above max + ulp/2)
      [0x7f7f7fff, 0x7c00, 0x7f7f],
      [0x7f7f8000, 0x7c00, 0x7f80], // tie at bfloat16 max + ulp/2: even = inf
      [0x33000000, 0x0000, 0x3300], // 2^-25: tie between 0 and the smallest subnormal: 0
      [0x33000001, 0x0001, 0x3300],
      [0x33c00000, 0x0002, 0x33c0], // 1.5 * 2^-24: tie, even = 2 * 2^-24
      [0x387fe000, 0x0400, 0x3880], // tie between the largest subnormal (odd) and the smallest normal
      [0x387fdfff, 0x03ff, 0x3880],
      [0x3f801000, 0x3c00, 0x3f80], // 1 + 2^-11: tie, even = 1
      [0x3f803000, 0x3c02, 0x3f80], // 1 + 3 * 2^-11: tie, even = 1 + 2^-9
      [0x3f808000, 0x3c04, 0x3f80], // 1 + 2^-8: bfloat16 tie, even = 1
      [0x3f818000, 0x3c0c, 0x3f82], // 1 + 3 * 2^-8: bfloat16 tie, even = 1 + 2^-6
      [0x00000001, 0x0000, 0x0000], // float32 subnormals
      [0x80000001, 0x8000, 0x8000],
      [0x00018000, 0x0000, 0x0002], // bfloat16 subnormals are kept, ties to even
      [0x00008000, 0x0000, 0x0000],
      [0x80000000, 0x8000, 0x8000],
      [0x7f800000, 0x7c00, 0x7f80],
      [0xff800000, 0xfc00, 0xff80],
      // NaN: sign kept, quiet bit set, top payload bits kept
      [0x7f800001, 0x7e00, 0x7fc0],
      [0xff801fff, 0xfe00, 0xffc0],
      [0x7f802000, 0x7e01, 0x7fc0],
      [0x7fbfffff, 0x7fff, 0x7fff],
      [0xffc00000, 0xfe00, 0xffc0],
      [0x7fa10000, 0x7f08, 0x7fe1],
    ];
    const bits = Uint32Array.from(cases, (c) => c[0]);
    const f16 = castBits(bits, 'float16');
    const bf16 = castBits(bits, 'bfloat16');
    cases.forEach(([b, h, bh], i) => {
      expect(hex16(f16[i]!), `float16 of ${hex32(b)} (${fromBits(b)})`).toBe(hex16(h));
      expect(hex16(bf16[i]!), `bfloat16 of ${hex32(b)} (${fromBits(b)})`).toBe(hex16(bh));
      if (!Number.isNaN(fromBits(b))) {
        expect(encodeHalf(fromBits(b), 'float16'), 'reference').toBe(h);
        expect(encodeHalf(fromBits(b), 'bfloat16'), 'reference').toBe(bh);
      }
    });
  });
});

describe('cast rounds once from float64 and int32', () => {
  /** Values within a hair (far below float32 precision) of a midpoint between adjacent halves. */
  function nearMidpoints(dtype: HalfDType): Float64Array {
    const out: number[] = [];
    const top = dtype === 'float16' ? 0x7c00 : 0x7f80;
    for (let b = 0; b < top; b += 7) {
      const lo = decodeHalf(b, dtype);
      const hi =
        b + 1 < top
          ? decodeHalf(b + 1, dtype)
          : 2 * decodeHalf(top - 1 - (dtype === 'float16' ? 0x3ff : 0x7f), dtype);
      const mid = (lo + hi) / 2;
      const hair = (hi - lo) * 2 ** -40;
      out.push(mid + hair, mid - hair, -(mid + hair), -(mid - hair));
    }
    return Float64Array.from(out);
  }

  it.each(HALVES)('float64 -> %s is not rounded through float32', (dtype) => {
    const x = nearMidpoints(dtype);
    const want = encodeFloat64Array(x, dtype);
    // Most of these would land on the midpoint in float32 and then tie to even: a real double rounding.
    let twice = 0;
    for (let i = 0; i < x.length; i++) if (encodeHalf(Math.fround(x[i]!), dtype) !== want[i]) twice++;
    expect(twice).toBeGreaterThan(x.length / 3);
    tidy(() =>
      expectSameBits(tensor(x).to(dtype).bits(), want, `float64 -> ${dtype}`, (i) => `input ${x[i]}`),
    );
  });

  it.each(HALVES)('float64 -> %s: random bit patterns and NaN payloads', (dtype) => {
    const next = rng32(7);
    const words = new Uint32Array(2 * 200_000);
    for (let i = 0; i < words.length; i += 2) {
      words[i] = next();
      // Exponents spread over the half range and beyond, all signs; every 50th is a NaN.
      const exp = i % 100 === 0 ? 0x7ff : 1023 - 140 + (next() % 280);
      words[i + 1] = ((next() & 0x800fffff) | (exp << 20)) >>> 0;
    }
    const x = new Float64Array(words.buffer);
    const want = encodeFloat64Array(x, dtype);
    tidy(() =>
      expectSameBits(
        tensor(x).to(dtype).bits(),
        want,
        `float64 -> ${dtype}`,
        (i) => `input ${hex32(words[2 * i + 1]!)}${hex32(words[2 * i]!).slice(2)}`,
      ),
    );
  });

  it('int32 -> bfloat16 rounds once (2^24 + 2^16 + 1 is not a tie)', () => {
    const special = [
      2 ** 24 + 2 ** 16 + 1,
      -(2 ** 24 + 2 ** 16 + 1),
      2 ** 24 + 2 ** 16,
      2 ** 30 + 2 ** 22 + 1,
      2 ** 31 - 1,
      -(2 ** 31),
    ];
    const next = rng32(11);
    const ints = new Int32Array(300_000);
    ints.set(special);
    for (let i = special.length; i < ints.length; i++) {
      // Near-ties at every magnitude: 2^k + 2^(k-8) + small, plus plain random values.
      const k = 9 + (next() % 22);
      const v = i % 2 === 0 ? 2 ** k + 2 ** (k - 8) + ((next() % 5) - 2) : next() | 0;
      ints[i] = next() & 1 ? v : -v;
    }
    const want = Uint16Array.from(ints, (v) => encodeHalf(v, 'bfloat16'));
    expect(want[0]).toBe(0x4b81); // 2^24 + 2^17: rounded up, not to the even 2^24 a float32 detour gives
    tidy(() => {
      expectSameBits(tensor(ints).bfloat16().bits(), want, 'int32 -> bfloat16', (i) => `input ${ints[i]}`);
      const wantHalf = Uint16Array.from(ints, (v) => encodeHalf(v, 'float16'));
      expectSameBits(tensor(ints).half().bits(), wantHalf, 'int32 -> float16', (i) => `input ${ints[i]}`);
    });
  });

  it('Tensor.fromBits round-trips every bfloat16 through float64 -> bfloat16', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    tidy(() => {
      const back = Tensor.fromBits(all, 'bfloat16').double().bfloat16().bits();
      for (let b = 0; b < 65536; b++) {
        if (!isHalfNaN(b, 'bfloat16') && back[b] !== b)
          expect.fail(`${hex16(b)} came back as ${hex16(back[b]!)}`);
        if (isHalfNaN(b, 'bfloat16') && back[b] !== (b | 0x40))
          expect.fail(`NaN ${hex16(b)} came back as ${hex16(back[b]!)}`);
      }
    });
  });
});
