import { describe, expect, it } from 'vitest';
import { ALL_DTYPES, type DType, Tensor, tensor, tidy } from '../src/index';
import { hex32, rawBits } from './helpers/cast-bits';
import { type FixtureTensor, fixtureValues, fromFixture, loadFixture } from './helpers/fixtures';
import { isHalfNaN } from './helpers/half-reference';

interface PairCase {
  kind: 'pair';
  src: DType;
  dst: DType;
  input: FixtureTensor;
  expected: FixtureTensor;
  overrides: { index: number; torch: number; reason: string }[];
}

const pairs = loadFixture<PairCase>('cast').cases.filter((c) => c.kind === 'pair');

/** Whether element i of raw storage values is NaN (for the float dtypes). */
function nanAt(values: ArrayLike<number>, i: number, dtype: DType): boolean {
  if (dtype === 'float16' || dtype === 'bfloat16') return isHalfNaN(values[i]!, dtype);
  if (dtype === 'float32' || dtype === 'float64') return Number.isNaN(values[i]!);
  return false;
}

describe('cast: all 36 dtype pairs against torch', () => {
  it('has every pair', () => {
    expect(pairs.length).toBe(36);
    expect(new Set(pairs.map((c) => `${c.src}->${c.dst}`)).size).toBe(36);
    expect(ALL_DTYPES.length).toBe(6);
  });

  it.each(pairs.map((c) => [`${c.src} -> ${c.dst}`, c] as const))('%s', (_, c) => {
    tidy(() => {
      const x = fromFixture(c.input);
      const y = c.src === c.dst ? x.clone() : x.to(c.dst);
      expect(y.dtype).toBe(c.dst);
      expect(y.shape).toEqual(c.expected.shape);
      const want = fixtureValues(c.expected);
      const got = y.dtype === 'float16' || y.dtype === 'bfloat16' ? y.bits() : y.data();
      // Bits, not values: -0 must stay -0. NaN payloads differ between torch and the documented rule:
      // NaN-ness must agree (the NaN rule has its own tests).
      const wantBits = c.dst === 'float32' || c.dst === 'float64' ? new Uint32Array(want.buffer) : want;
      const gotBits = c.dst === 'float32' || c.dst === 'float64' ? new Uint32Array(got.buffer) : got;
      const words = c.dst === 'float64' ? 2 : 1;
      const src = fixtureValues(c.input);
      for (let i = 0; i < want.length; i++) {
        const where = `element ${i} (input ${src[i]}${c.overrides.some((o) => o.index === i) ? ', documented rule, not torch' : ''})`;
        if (nanAt(want, i, c.dst)) {
          expect(nanAt(got, i, c.dst), `${where}: NaN expected, got ${got[i]}`).toBe(true);
          continue;
        }
        for (let w = 0; w < words; w++) {
          const k = i * words + w;
          if (gotBits[k] !== wantBits[k]) expect.fail(`${where}: got ${got[i]}, want ${want[i]}`);
        }
      }
    });
  });
});

describe('cast: documented rules where torch is undefined', () => {
  const specials = [
    Number.NaN,
    Infinity,
    -Infinity,
    3e9,
    -3e9,
    2147483647.9,
    -2147483648.9,
    -2147483649,
    2.9,
    -2.9,
    -0,
  ];
  const wantInt = [
    0, 2147483647, -2147483648, 2147483647, -2147483648, 2147483647, -2147483648, -2147483648, 2, -2, 0,
  ];
  const wantBool = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0];

  it.each(['float32', 'float64', 'float16', 'bfloat16'] as const)(
    '%s -> int32: truncate, saturate, NaN -> 0; -> bool: nonzero or NaN',
    (dtype) => {
      tidy(() => {
        const x = tensor(specials, { dtype: 'float64' }).to(dtype);
        const back = x.double().data();
        const expectInt = Array.from(back, (v) =>
          Number.isNaN(v) ? 0 : Math.min(Math.max(Math.trunc(v), -(2 ** 31)), 2 ** 31 - 1) + 0,
        );
        if (dtype === 'float32' || dtype === 'float64') expect(expectInt).toEqual(wantInt);
        expect(Array.from(x.int().data())).toEqual(expectInt);
        expect(Array.from(x.bool().data())).toEqual(wantBool);
      });
    },
  );

  it('NaN payloads: sign kept, quiet bit set, top payload bits kept, across float widths', () => {
    const words = new Uint32Array([0x00000001, 0xfff00000, 0x00000000, 0x7ff40000, 0xffffffff, 0x7fffffff]);
    const x = new Float64Array(words.buffer); // -sNaN(1), +sNaN(top payload bit 2), +NaN(all ones)
    tidy(() => {
      const t = tensor(x);
      expect(Array.from(rawBits(t.float()), hex32)).toEqual(['0xffc00000', '0x7fe00000', '0x7fffffff']);
      expect(Array.from(t.half().bits())).toEqual([0xfe00, 0x7f00, 0x7fff]);
      expect(Array.from(t.bfloat16().bits())).toEqual([0xffc0, 0x7fe0, 0x7fff]);
      const f = new Uint32Array([0x7f800001, 0xffa00000]);
      expect(Array.from(rawBits(tensor(new Float32Array(f.buffer)).double()), hex32)).toEqual([
        '0x20000000',
        '0x7ff80000',
        '0x00000000',
        '0xfffc0000',
      ]);
      expect(
        Array.from(rawBits(Tensor.fromBits(new Uint16Array([0x7c01, 0xff81]), 'float16').to('bfloat16'))),
      ).toEqual([0x7fc0, 0xfff0]);
    });
  });

  it('reads any nonzero bool byte as true', () => {
    tidy(() => {
      const b = tensor(new Uint8Array([0, 1, 2, 255]), { dtype: 'bool' });
      expect(Array.from(b.float().data())).toEqual([0, 1, 1, 1]);
      expect(Array.from(b.half().float().data())).toEqual([0, 1, 1, 1]);
    });
  });
});
