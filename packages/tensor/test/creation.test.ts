import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  arange,
  type DType,
  DTypeError,
  full,
  memory,
  NotCompiledWithCudaError,
  ones,
  ShapeError,
  Tensor,
  tensor,
  tidy,
  zeros,
} from '../src/index';
import { expectMatches, type FixtureTensor, loadFixture } from './helpers/fixtures';

interface CreationFixture {
  tensor: { dtype: DType; values?: string; values32?: string; expected: FixtureTensor }[];
  full: { dtype: DType; value: string; expected?: FixtureTensor; error?: string }[];
  arange: { args: [number, number | null, number]; dtype: DType; expected?: FixtureTensor; error?: string }[];
}

const fixture = loadFixture<CreationFixture>('creation').cases[0]!;
const f64 = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** Calls fn inside tidy and checks that nothing leaked. */
function leakFree(fn: () => void): void {
  const before = memory();
  tidy(fn);
  expect(memory()).toEqual(before);
}

describe('tensor() rounds each value once into the dtype (NumPy float16 / exact bfloat16)', () => {
  for (const c of fixture.tensor) {
    const source = c.values !== undefined ? 'numbers' : 'Float32Array';
    it(`${c.dtype} from ${source}`, () =>
      leakFree(() => {
        if (c.values !== undefined) {
          const values = f64(c.values);
          expectMatches(tensor(Array.from(values), { dtype: c.dtype }), c.expected, {}, 'nested array');
          expectMatches(tensor(values, { dtype: c.dtype }), c.expected, {}, 'Float64Array');
        } else {
          const values = new Float32Array(f64(c.values32!));
          expectMatches(tensor(values, { dtype: c.dtype }), c.expected, {}, 'Float32Array');
        }
      }));
  }

  it('0.1 in float16 has NumPy’s bits, not those of a double rounding through float32', () =>
    leakFree(() => {
      expect(Array.from(tensor([0.1], { dtype: 'float16' }).bits())).toEqual([0x2e66]);
      // 1 + 2^-11 + 2^-40 rounds up directly but to the 1.0 tie (then down) through float32.
      expect(Array.from(tensor([1 + 2 ** -11 + 2 ** -40], { dtype: 'float16' }).bits())).toEqual([0x3c01]);
      expect(Array.from(tensor([1 + 2 ** -8 + 2 ** -40], { dtype: 'bfloat16' }).bits())).toEqual([0x3f81]);
    }));
});

describe('tensor() infers shape and dtype', () => {
  it('from scalars, booleans, nested arrays and typed arrays', () =>
    leakFree(() => {
      const cases: [Tensor, DType, number[]][] = [
        [tensor(3.5), 'float32', []],
        [tensor(true), 'bool', []],
        [tensor([]), 'float32', [0]],
        [tensor([[], []]), 'float32', [2, 0]],
        [tensor([[true], [false]]), 'bool', [2, 1]],
        [tensor([[[1, 2, 3]], [[4, 5, 6]]]), 'float32', [2, 1, 3]],
        [tensor(new Float64Array([1, 2])), 'float64', [2]],
        [tensor(new Int32Array([1, -2])), 'int32', [2]],
        [tensor(new Float32Array([1])), 'float32', [1]],
        [tensor(new Uint8Array([0, 3])), 'float32', [2]],
        [tensor(new Uint8Array([0, 3]), { dtype: 'bool' }), 'bool', [2]],
        [tensor(new Int16Array([-5])), 'float32', [1]],
        [tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }), 'float32', [2, 3]],
        [tensor(7, { shape: [1, 1] }), 'float32', [1, 1]],
      ];
      for (const [t, dtype, shape] of cases) {
        expect([t.dtype, t.shape]).toEqual([dtype, shape]);
      }
      expect(tensor(new Uint8Array([0, 3]), { dtype: 'bool' }).toArray()).toEqual([false, true]);
      expect(tensor([true, false], { dtype: 'float16' }).toArray()).toEqual([1, 0]);
      expect(tensor(new Int32Array([7, -8]), { dtype: 'float64' }).toArray()).toEqual([7, -8]);
    }));

  it('reads a typed array that is a window on a larger buffer', () =>
    leakFree(() => {
      const buf = new Float32Array([9, 1, 2, 3, 9]);
      expect(tensor(buf.subarray(1, 4)).toArray()).toEqual([1, 2, 3]);
      const ints = new Int32Array([9, 9, 4, 5]);
      expect(tensor(ints.subarray(2)).toArray()).toEqual([4, 5]);
    }));

  it('ragged nesting is a ShapeError, at any depth', () => {
    for (const data of [
      [[1, 2], [3]],
      [[1, 2], 3],
      [1, [2]],
      [[[1]], [[1, 2]]],
      [[1], []],
    ] as unknown[]) {
      let err: unknown;
      try {
        tensor(data as number[]);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(data)).toBeInstanceOf(ShapeError);
      expect((err as ShapeError).op).toBe('tensor');
    }
  });

  it('data length not matching the shape is a ShapeError naming both', () => {
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(
      /expected shape a shape with 3 elements, got \[2, 2\]/,
    );
    expect(() => Tensor.fromBits(new Uint16Array(3), 'float16', [4])).toThrow(ShapeError);
  });

  it('refuses non-numeric data with an ArgumentError', () => {
    for (const data of [
      ['a'],
      [null],
      [1, undefined],
      { length: 1 },
      'abc',
      new BigInt64Array(2),
      [1, true],
    ]) {
      expect(() => tensor(data as never), String(data)).toThrow(ArgumentError);
    }
  });
});

describe('full / zeros / ones', () => {
  for (const c of fixture.full) {
    const value = f64(c.value)[0]!;
    it(`full(${value}) in ${c.dtype}${c.error ? ' is refused as by PyTorch' : ''}`, () =>
      leakFree(() => {
        if (c.error !== undefined) {
          let err: unknown;
          try {
            full([2], value, { dtype: c.dtype });
          } catch (e) {
            err = e;
          }
          expect(err, `PyTorch: ${c.error}`).toBeInstanceOf(ArgumentError);
          expect((err as Error).message).toContain(String(value));
          expect((err as Error).message).toContain(c.dtype);
          return;
        }
        const t = full([1], value, { dtype: c.dtype });
        expectMatches(t, c.expected!);
        // Every element of a larger, multi-dim fill holds the same value.
        const big = full([3, 1, 5], value, { dtype: c.dtype });
        const bigValues = c.dtype === 'float16' || c.dtype === 'bfloat16' ? big.bits() : big.data();
        const one = c.dtype === 'float16' || c.dtype === 'bfloat16' ? t.bits()[0] : t.data()[0];
        expect(
          new Set(Array.from(bigValues as ArrayLike<number>, (v) => (Number.isNaN(v) ? 'NaN' : v))),
        ).toEqual(new Set([Number.isNaN(one as number) ? 'NaN' : one]));
      }));
  }

  it('zeros and ones in every dtype, including empty and 0-d shapes', () =>
    leakFree(() => {
      for (const dtype of ['float32', 'float16', 'bfloat16', 'float64', 'int32', 'bool'] as const) {
        expect(zeros([2, 2], { dtype }).toArray()).toEqual(
          dtype === 'bool'
            ? [
                [false, false],
                [false, false],
              ]
            : [
                [0, 0],
                [0, 0],
              ],
        );
        expect(ones([3], { dtype }).toArray()).toEqual(dtype === 'bool' ? [true, true, true] : [1, 1, 1]);
        expect(ones([], { dtype }).item()).toBe(dtype === 'bool' ? true : 1);
        const empty = zeros([2, 0, 3], { dtype });
        expect([empty.shape, empty.strides, empty.toArray()]).toEqual([
          [2, 0, 3],
          [3, 3, 1],
          [[], []],
        ]);
      }
      expect(full([2], true).dtype).toBe('bool');
      expect(full([2], -0, { dtype: 'float16' }).bits()).toEqual(new Uint16Array([0x8000, 0x8000]));
    }));
});

describe('arange', () => {
  for (const c of fixture.arange) {
    const [start, end, step] = c.args;
    const label = `arange(${start}, ${end}, ${step}) ${c.dtype}`;
    it(`${label}${c.error ? ' is refused as by PyTorch' : ''}`, () =>
      leakFree(() => {
        const make = () =>
          end === null
            ? arange(start, undefined, 1, { dtype: c.dtype })
            : arange(start, end, step, { dtype: c.dtype });
        if (c.error !== undefined) {
          let err: unknown;
          try {
            make();
          } catch (e) {
            err = e;
          }
          expect(err, `PyTorch: ${c.error}`).toBeInstanceOf(c.dtype === 'bool' ? DTypeError : ArgumentError);
          expect((err as DTypeError).op).toBe('arange');
          return;
        }
        expectMatches(make(), c.expected!, {}, label);
      }));
  }

  it('refuses non-finite and zero arguments', () => {
    const bad: [number, number?, number?][] = [
      [0, Infinity],
      [Number.NaN],
      [0, 1, 0],
      [0, 1e300, 1e-300],
      [0, 2 ** 50],
    ];
    for (const args of bad) expect(() => arange(...args), String(args)).toThrow(ArgumentError);
  });
});

describe('device', () => {
  it("device 'cuda' without CUDA says why; unknown devices are ArgumentErrors", () => {
    let err: unknown;
    try {
      zeros([2], { device: 'cuda' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotCompiledWithCudaError);
    expect((err as Error).message).toMatch(/^zeros?|full: device 'cuda' is not available: /);
    expect(() => tensor([1], { device: 'cuda:0' })).toThrow(NotCompiledWithCudaError);
    for (const device of ['gpu', 'cuda:', 'cuda:-1', 'CPU', 'cuda:1.5', 3, null]) {
      expect(() => zeros([1], { device: device as never }), String(device)).toThrow(ArgumentError);
      expect(() => zeros([1], { device: device as never })).toThrow(
        /expected device to be 'cpu', 'cuda' or 'cuda:N'/,
      );
    }
  });
});
