import { describe, expect, it } from 'vitest';
import { Tensor, tidy } from '../src/index';
import { expectSameBits, hex16, rawBits } from './helpers/cast-bits';
import { type FixtureTensor, fixtureValues, loadFixture } from './helpers/fixtures';
import {
  decodeAllToFloat32Bits,
  decodeAllToFloat64Words,
  decodeHalf,
  encodeHalf,
  type HalfDType,
  isHalfNaN,
  nanFromFloat32Bits,
  nanToFloat32Bits,
} from './helpers/half-reference';

interface DecodeCase {
  kind: 'decode';
  dtype: HalfDType;
  by: string;
  expected: FixtureTensor;
}

const cases = loadFixture<DecodeCase>('cast').cases.filter((c) => c.kind === 'decode');
const PATTERNS = Uint16Array.from({ length: 65536 }, (_, i) => i);
const HALVES: HalfDType[] = ['float16', 'bfloat16'];
const label = (i: number) => `pattern ${hex16(i)}`;

describe.each(HALVES)('cast: every %s bit pattern', (dtype) => {
  const all = () => Tensor.fromBits(PATTERNS, dtype);

  it('decodes to float32 exactly as the reference (NaN: sign and payload kept, quiet bit set)', () => {
    tidy(() =>
      expectSameBits(rawBits(all().float()), decodeAllToFloat32Bits(dtype), `${dtype} -> float32`, label),
    );
  });

  it('decodes to float64 exactly as the reference', () => {
    tidy(() =>
      expectSameBits(rawBits(all().double()), decodeAllToFloat64Words(dtype), `${dtype} -> float64`, (i) =>
        label(i >> 1),
      ),
    );
  });

  it('decodes as numpy/torch do (NaN: NaN with the same sign)', () => {
    const c = cases.find((x) => x.dtype === dtype)!;
    const want = new Uint32Array((fixtureValues(c.expected) as Float32Array).buffer);
    const got = tidy(() => rawBits(all().float()) as Uint32Array);
    const gotWide = tidy(() => all().double().data() as Float64Array);
    const wantValues = new Float32Array(want.buffer);
    let nans = 0;
    for (let b = 0; b < 65536; b++) {
      if (isHalfNaN(b, dtype)) {
        nans++;
        expect(wantValues[b], `${c.by}: ${label(b)}`).toBeNaN();
        expect(got[b]! >>> 31, `sign of NaN ${label(b)}`).toBe(want[b]! >>> 31);
        expect((got[b]! & 0x7fc00000) >>> 0, `quiet NaN ${label(b)}`).toBe(0x7fc00000);
      } else {
        if (got[b] !== want[b]) expect.fail(`${label(b)}: got ${got[b]} but ${c.by} gives ${want[b]}`);
        // float64 is the same value widened (Object.is tells -0 from 0).
        if (!Object.is(gotWide[b], wantValues[b]))
          expect.fail(`${label(b)} -> float64: ${gotWide[b]} vs ${wantValues[b]}`);
      }
    }
    expect(nans).toBe(dtype === 'float16' ? 2046 : 254);
  });

  it('converts to the other half type with one rounding', () => {
    const other: HalfDType = dtype === 'float16' ? 'bfloat16' : 'float16';
    const want = new Uint16Array(65536);
    for (let b = 0; b < 65536; b++) {
      want[b] = isHalfNaN(b, dtype)
        ? nanFromFloat32Bits(nanToFloat32Bits(b, dtype), other)
        : encodeHalf(decodeHalf(b, dtype), other);
    }
    tidy(() => expectSameBits(all().to(other).bits(), want, `${dtype} -> ${other}`, label));
  });

  it('converts to int32 (truncate, saturate, NaN -> 0) and to bool (nonzero or NaN)', () => {
    const wantInt = new Int32Array(65536);
    const wantBool = new Uint8Array(65536);
    for (let b = 0; b < 65536; b++) {
      const v = decodeHalf(b, dtype);
      wantInt[b] = Number.isNaN(v) ? 0 : Math.min(Math.max(Math.trunc(v), -(2 ** 31)), 2 ** 31 - 1);
      wantBool[b] = v !== 0 ? 1 : 0; // NaN !== 0
    }
    tidy(() => {
      expectSameBits(all().int().data() as Int32Array, wantInt, `${dtype} -> int32`, label);
      expectSameBits(all().bool().data() as Uint8Array, wantBool, `${dtype} -> bool`, label);
    });
  });
});
