import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promoteWithScalar } from '../src/dtype';
import {
  ALL_DTYPES,
  ArgumentError,
  arange,
  DTYPES,
  type DType,
  DTypeError,
  isDType,
  memory,
  promoteTypes,
  ShapeError,
  Tensor,
  tensor,
  tidy,
  zeros,
} from '../src/index';
import { resultType } from '../src/ops/operand';
import { loadFixture } from './helpers/fixtures';

interface DTypeFixture {
  pairs: { a: DType; b: DType; out: DType }[];
  scalars: { dtype: DType; scalar: number | boolean | string; isFloat: boolean; out: DType }[];
  zeroDim: { a: DType; aDims: number; b?: DType; bDims?: number; scalar?: number | boolean; out: DType }[];
}
const fixture = loadFixture<DTypeFixture>('dtype').cases[0]!;

/** Exact decode of a half pattern (the reference the kernels must agree with). */
function decodeHalf(h: number, dtype: 'float16' | 'bfloat16'): number {
  const [ebits, mbits] = dtype === 'float16' ? [5, 10] : [8, 7];
  const bias = 2 ** (ebits - 1) - 1;
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> mbits) & ((1 << ebits) - 1);
  const m = h & ((1 << mbits) - 1);
  if (e === (1 << ebits) - 1) return m === 0 ? sign * Infinity : Number.NaN;
  return sign * (e === 0 ? m * 2 ** (1 - bias - mbits) : (m + 2 ** mbits) * 2 ** (e - bias - mbits));
}

const ALL_BITS = Uint16Array.from({ length: 65536 }, (_, i) => i);

describe('dtype table', () => {
  it('mirrors the codes and sizes of kernels/include/mantissa/abi.h', () => {
    const abi = readFileSync(
      join(__dirname, '..', '..', '..', 'kernels', 'include', 'mantissa', 'abi.h'),
      'utf8',
    );
    for (const dtype of ALL_DTYPES) {
      const m = new RegExp(`MT_${dtype.toUpperCase()} = (\\d+)`).exec(abi);
      expect(Number(m?.[1]), dtype).toBe(DTYPES[dtype].code);
    }
    expect(Number(/MT_NUM_DTYPES = (\d+)/.exec(abi)?.[1])).toBe(ALL_DTYPES.length);
    expect(ALL_DTYPES.map((d) => DTYPES[d].itemsize)).toEqual([4, 2, 2, 8, 4, 1]);
  });

  it('isDType accepts exactly the six names', () => {
    for (const d of ALL_DTYPES) expect(isDType(d)).toBe(true);
    for (const d of ['float8', 'float', 'int64', 'toString', '__proto__', '', 1, null, undefined]) {
      expect(isDType(d), String(d)).toBe(false);
    }
  });

  it('promoteTypes matches torch.promote_types for every pair', () => {
    expect(fixture.pairs).toHaveLength(36);
    for (const { a, b, out } of fixture.pairs) expect(promoteTypes(a, b), `${a} + ${b}`).toBe(out);
  });

  it('a JS number promotes as a Python scalar does (fractional = float, integral = int)', () => {
    let checked = 0;
    for (const c of fixture.scalars) {
      const s =
        typeof c.scalar === 'string'
          ? c.scalar === 'inf'
            ? Infinity
            : c.scalar === 'nan'
              ? Number.NaN
              : Number(c.scalar)
          : c.scalar;
      // JavaScript has no 2.0 distinct from 2: an integral float scalar behaves as an int one.
      if (c.isFloat && Number.isInteger(s)) continue;
      // Mantissa has no int64: PyTorch's default integer type maps to int32.
      expect(promoteWithScalar(c.dtype, s), `${c.dtype} with ${c.scalar}`).toBe(
        c.out === ('int64' as DType) ? 'int32' : c.out,
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('0-d tensors promote as torch.result_type: below tensors with dims, above JS numbers', () =>
    tidy(() => {
      expect(fixture.zeroDim.length).toBeGreaterThan(80);
      for (const c of fixture.zeroDim) {
        const a = zeros(c.aDims ? [1] : [], { dtype: c.a });
        const b = c.b === undefined ? c.scalar! : zeros(c.bDims ? [1] : [], { dtype: c.b });
        const want = c.out === ('int64' as DType) ? 'int32' : c.out;
        expect(resultType([a, b]), JSON.stringify(c)).toBe(want);
        expect(resultType([b, a]), JSON.stringify(c)).toBe(want);
      }
    }));
});

describe('fromBits / bits / data / toArray / item', () => {
  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`${dtype}: every one of the 65536 patterns round-trips through fromBits/bits`, () =>
      tidy(() => {
        const t = Tensor.fromBits(ALL_BITS, dtype, [256, 256]);
        expect(t.shape).toEqual([256, 256]);
        expect(t.bits()).toEqual(ALL_BITS);
        // Non-contiguous reads see the same patterns in the transposed order.
        const tb = t.T.bits();
        expect(tb[1]).toBe(256);
        expect(tb[256]).toBe(1);
      }));

    it(`${dtype}: data() decodes every pattern exactly`, () =>
      tidy(() => {
        const values = Tensor.fromBits(ALL_BITS, dtype).data();
        expect(values).toBeInstanceOf(Float32Array);
        for (let h = 0; h < 65536; h++) {
          const want = decodeHalf(h, dtype);
          const got = values[h]!;
          if (Number.isNaN(want)) expect(Number.isNaN(got), `pattern ${h}`).toBe(true);
          else if (!Object.is(got, want))
            expect.fail(`${dtype} pattern 0x${h.toString(16)}: ${got} != ${want}`);
        }
      }));
  }

  it('bits() refuses non-half dtypes; fromBits refuses bad input', () => {
    tidy(() => {
      expect(() => tensor([1]).bits()).toThrow(DTypeError);
      expect(() => Tensor.fromBits(new Uint16Array(2), 'float32' as never)).toThrow(DTypeError);
      expect(() => Tensor.fromBits(new Int16Array(2) as never, 'float16')).toThrow(ArgumentError);
      expect(() => Tensor.fromBits([1, 2] as never, 'float16')).toThrow(ArgumentError);
      expect(() => Tensor.fromBits(new Uint16Array(4), 'float16', [3])).toThrow(ShapeError);
      expect(() => Tensor.fromBits(new Uint16Array(4), 'float16', [-4])).toThrow(ArgumentError);
    });
  });

  it('data() returns the typed array of each dtype; toArray nests; item reads one element', () =>
    tidy(() => {
      const kinds: [DType, unknown][] = [
        ['float32', Float32Array],
        ['float16', Float32Array],
        ['bfloat16', Float32Array],
        ['float64', Float64Array],
        ['int32', Int32Array],
        ['bool', Uint8Array],
      ];
      for (const [dtype, kind] of kinds) {
        const t = tensor([[1, 0, 3]], { dtype });
        expect(t.data(), dtype).toBeInstanceOf(kind);
        expect(t.toArray()).toEqual(dtype === 'bool' ? [[true, false, true]] : [[1, 0, 3]]);
        expect(t.slice(1, 2).item()).toBe(dtype === 'bool' ? true : 3);
        expect(tensor(5, { dtype }).toArray()).toBe(dtype === 'bool' ? true : 5);
      }
      const x = arange(24).reshape([2, 3, 4]);
      expect(x.permute([2, 0, 1]).toArray()).toEqual(
        [0, 1, 2, 3].map((k) => [0, 1].map((i) => [0, 1, 2].map((j) => i * 12 + j * 4 + k))),
      );
      expect(x.expand([2, 2, 3, 4]).data().length).toBe(48);
      // data() is a copy: writing to it does not touch the tensor.
      const d = x.data();
      d[0] = 99;
      expect(x.data()[0]).toBe(0);
      expect(() => x.item()).toThrow(ShapeError);
      expect(() => tensor([]).item()).toThrow(ShapeError);
      expect(tensor([[[7]]]).item()).toBe(7);
    }));

  it('reading allocates nothing that outlives the call', () => {
    const x = arange(12, undefined, 1, { dtype: 'float16' }).reshape([3, 4]).T;
    const before = memory();
    for (let i = 0; i < 50; i++) {
      x.toArray();
      x.data();
      x.bits();
      x.slice(0, 1, 2).slice(1, 2, 3).item();
    }
    // item() made views; everything else is host memory.
    expect(memory().numStorages).toBe(before.numStorages);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});
