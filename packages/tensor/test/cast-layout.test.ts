import { describe, expect, it } from 'vitest';
import { ALL_DTYPES, Tensor, tensor, tidy, zeros } from '../src/index';
import { expectSameBits, rawBits } from './helpers/cast-bits';
import { encodeInputs, rng32 } from './helpers/cast-inputs';
import {
  decodeAllToFloat32Bits,
  decodeHalf,
  encodeFloat32Array,
  type HalfDType,
} from './helpers/half-reference';

const HALVES: HalfDType[] = ['float16', 'bfloat16'];

/** Seeded float32 values: specials and half boundaries first, then random bit patterns. */
const VALUES = encodeInputs(400_000, decodeHalf).subarray(0, 200_000);
const mixed = (n: number, skip = 0) => VALUES.slice(skip, skip + n);

/** The rows of a row-major [rows, cols] array, transposed, as a new array. */
function transposed<T extends Float32Array | Uint16Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

describe('cast: strided and non-contiguous layouts', () => {
  it.each(HALVES)('transposed input -> %s', (dtype) => {
    const [rows, cols] = [37, 53];
    const v = mixed(rows * cols, 1000);
    tidy(() => {
      const x = tensor(v, { shape: [rows, cols] });
      expectSameBits(x.T.to(dtype).bits(), encodeFloat32Array(transposed(v, rows, cols), dtype), 'x.T');
      // and back: a transposed half tensor widened
      const h = x.to(dtype);
      const wide = rawBits(h.T.float()) as Uint32Array;
      const table = decodeAllToFloat32Bits(dtype);
      expectSameBits(
        wide,
        Uint32Array.from(transposed(h.bits(), rows, cols), (b) => table[b]!),
        'h.T.float()',
      );
    });
  });

  it.each(HALVES)('sliced input with a step -> %s', (dtype) => {
    const v = mixed(40 * 70, 3000);
    tidy(() => {
      const x = tensor(v, { shape: [40, 70] })
        .slice(1, 3, 67, 4)
        .slice(0, 1, 40, 3);
      const want: number[] = [];
      for (let r = 1; r < 40; r += 3) for (let c = 3; c < 67; c += 4) want.push(v[r * 70 + c]!);
      expectSameBits(x.to(dtype).bits(), encodeFloat32Array(Float32Array.from(want), dtype), 'slice');
    });
  });

  it.each(HALVES)('expanded input (stride 0) -> %s', (dtype) => {
    const v = mixed(33, 50);
    tidy(() => {
      const row = encodeFloat32Array(v, dtype);
      const want = new Uint16Array(5 * 33);
      for (let r = 0; r < 5; r++) want.set(row, r * 33);
      expectSameBits(tensor(v).reshape([1, 33]).expand([5, 33]).to(dtype).bits(), want, 'rows expanded');
      const col = new Uint16Array(33 * 40);
      for (let r = 0; r < 33; r++) col.fill(row[r]!, r * 40, r * 40 + 40);
      expectSameBits(tensor(v).reshape([33, 1]).expand([33, 40]).to(dtype).bits(), col, 'columns expanded');
      expectSameBits(
        tensor(v.slice(0, 1)).expand([70000]).to(dtype).bits(),
        new Uint16Array(70000).fill(row[0]!),
        'scalar expanded',
      );
    });
  });

  it.each(HALVES)('output into a transposed view (copy_) as %s', (dtype) => {
    const [rows, cols] = [45, 29];
    const v = mixed(rows * cols, 7000);
    tidy(() => {
      const out = zeros([cols, rows], { dtype });
      out.T.copy_(tensor(v, { shape: [rows, cols] }));
      expectSameBits(out.bits(), transposed(encodeFloat32Array(v, dtype), rows, cols), 'out.T.copy_(x)');
      const back = zeros([cols, rows]);
      back.T.copy_(tensor(v, { shape: [rows, cols] }).to(dtype));
      const table = decodeAllToFloat32Bits(dtype);
      const want = Uint32Array.from(transposed(encodeFloat32Array(v, dtype), rows, cols), (b) => table[b]!);
      expectSameBits(rawBits(back) as Uint32Array, want, 'float32 out.T.copy_(h)');
    });
  });

  it('every pair on transposed, sliced and expanded input equals the contiguous cast', () => {
    const next = rng32(3);
    const v = Float64Array.from({ length: 24 * 31 }, (_, i) =>
      i % 5 === 0 ? 0 : ((next() | 0) / 2 ** (next() % 40)) * (i % 7 === 0 ? 1e30 : 1),
    );
    v[1] = Number.NaN;
    v[2] = -Infinity;
    for (const src of ALL_DTYPES) {
      for (const dst of ALL_DTYPES) {
        tidy(() => {
          const x = tensor(v, { dtype: 'float64', shape: [24, 31] }).to(src);
          for (const view of [x.T, x.slice(1, 2, 29, 3), x.slice(0, 0, 1).expand([9, 31])]) {
            const dense = view.contiguous();
            expect(dense.isContiguous).toBe(true);
            expectSameBits(
              rawBits(view.to(dst)),
              rawBits(dense.to(dst)),
              `${src} -> ${dst} on shape ${view.shape}`,
            );
          }
        });
      }
    }
  });

  it('empty tensors keep their shape', () => {
    for (const src of ALL_DTYPES) {
      for (const dst of ALL_DTYPES) {
        tidy(() => {
          for (const shape of [[0], [3, 0, 2]]) {
            const y = zeros(shape, { dtype: src }).to(dst);
            expect(y.shape).toEqual(shape);
            expect(y.dtype).toBe(dst);
            expect(y.data().length).toBe(0);
          }
          expect(zeros([0, 4], { dtype: src }).T.to(dst).shape).toEqual([4, 0]);
        });
      }
    }
  });
});

describe('cast: lengths across SIMD widths and the thread split', () => {
  const lengths = [...Array.from({ length: 70 }, (_, i) => i + 1), 32767, 32768, 32769, 65536 + 17, 100_003];

  it.each(HALVES)('float32 <-> %s at every length 1..70 and past 32768, at unaligned offsets', (dtype) => {
    const table = decodeAllToFloat32Bits(dtype);
    const src = tensor(mixed(100_010, 20_000));
    tidy(() => {
      for (const n of lengths) {
        const off = n % 7;
        const want = encodeFloat32Array(mixed(n, 20_000 + off), dtype);
        const h = src.slice(0, off, off + n).to(dtype);
        expectSameBits(h.bits(), want, `float32 -> ${dtype}, n = ${n}`);
        // Writes stay inside the destination view: a guard of sentinel values around it survives.
        const guard = Tensor.fromBits(new Uint16Array(n + 10).fill(0x1234), dtype);
        guard.slice(0, 5, 5 + n).copy_(src.slice(0, off, off + n));
        const g = guard.bits();
        expectSameBits(g.subarray(5, 5 + n), want, `copy_ n = ${n}`);
        expect(Array.from(g.subarray(0, 5)).concat(Array.from(g.subarray(5 + n)))).toEqual(
          new Array(10).fill(0x1234),
        );
        const wide = tensor(new Float32Array(n + 10).fill(7));
        const back = wide.slice(0, 3, 3 + n);
        back.copy_(h);
        const w = wide.data();
        expect(Array.from(w.subarray(0, 3)).concat(Array.from(w.subarray(3 + n)))).toEqual(
          new Array(10).fill(7),
        );
        expectSameBits(
          rawBits(back) as Uint32Array,
          Uint32Array.from(want, (b) => table[b]!),
          `${dtype} -> float32, n = ${n}`,
        );
      }
    });
  });
});
