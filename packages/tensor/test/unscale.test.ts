import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, Tensor, tensor, unscaleAndCheck, zeros } from '../src/index';

/** The expected float32 result: the exact source value times invScale, rounded once to float32. */
function expectedF32(src: Tensor, invScale: number): number[] {
  return Array.from(src.double().data() as Float64Array, (v) => Math.fround(v * invScale));
}

describe('unscaleAndCheck', () => {
  it('unscales float16 gradients into float32 masters exactly, subnormals and the max included', () => {
    const bits = new Uint16Array([
      0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x8001, 0xfbff, 0x0000, 0x8000, 0x3555,
    ]);
    const grad = Tensor.fromBits(bits, 'float16', [10]);
    const master = zeros([10]);
    const flags = unscaleAndCheck([grad], [master], 2 ** -16);
    expect(flags).toEqual([false]);
    const got = Array.from(master.data() as Float32Array);
    expect(got).toEqual(expectedF32(grad, 2 ** -16));
    expect(Object.is(got[8], -0)).toBe(true);
  });

  it('reports, per pair, which gradients hold an inf or a NaN', () => {
    const a = tensor([1, 2, 3], { dtype: 'float16' });
    const b = tensor([1, Number.POSITIVE_INFINITY, 3], { dtype: 'float16' });
    const c = tensor([Number.NaN, 0], { dtype: 'bfloat16' });
    const d = tensor([65504, -65504], { dtype: 'float16' });
    const dst = [zeros([3]), zeros([3]), zeros([2]), zeros([2])];
    expect(unscaleAndCheck([a, b, c, d], dst, 0.5)).toEqual([false, true, true, false]);
    expect(dst[0]!.toArray()).toEqual([0.5, 1, 1.5]);
    expect(dst[3]!.toArray()).toEqual([32752, -32752]);
  });

  it('finds one NaN at the end of a large gradient (every thread chunk is checked)', () => {
    const n = 100_003;
    const values = new Float32Array(n).map((_, i) => (i % 17) - 8);
    values[n - 1] = Number.NaN;
    const src = tensor(values).half();
    const dst = zeros([n]);
    expect(unscaleAndCheck([src], [dst], 0.25)).toEqual([true]);
    const got = dst.data() as Float32Array;
    expect(got[n - 2]).toBe((((n - 2) % 17) - 8) * 0.25);
    values[n - 1] = 1;
    const clean = tensor(values).bfloat16();
    expect(unscaleAndCheck([clean], [dst], 0.25)).toEqual([false]);
  });

  it('unscales float32 in place, float64 in float64, and strided views into half destinations', () => {
    const f32 = tensor([4, -8, 1e-30]);
    expect(unscaleAndCheck([f32], [f32], 0.25)).toEqual([false]);
    expect(f32.toArray()).toEqual([1, -2, Math.fround(1e-30 * 0.25)]);
    const f64 = tensor([1e300, 3], { dtype: 'float64' });
    const out64 = zeros([2], { dtype: 'float64' });
    expect(unscaleAndCheck([f64], [out64], 2 ** -20)).toEqual([false]);
    expect(out64.toArray()).toEqual([1e300 * 2 ** -20, 3 * 2 ** -20]);
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]).half();
    const outHalf = zeros([3, 2], { dtype: 'bfloat16' });
    expect(unscaleAndCheck([m.T], [outHalf], 0.5)).toEqual([false]);
    expect(outHalf.toArray()).toEqual([
      [0.5, 2],
      [1, 2.5],
      [1.5, 3],
    ]);
  });

  it('flags a value that overflows only once unscaled (a scale below 1)', () => {
    const src = tensor([3e38]);
    expect(unscaleAndCheck([src], [zeros([1])], 4)).toEqual([true]);
  });

  it('keeps the pair order across calls of 31 pairs', () => {
    const srcs = Array.from({ length: 70 }, (_, i) =>
      tensor([i === 5 || i === 40 || i === 69 ? Number.NaN : i]).half(),
    );
    const dsts = srcs.map(() => zeros([1]));
    const flags = unscaleAndCheck(srcs, dsts, 1);
    expect(flags.flatMap((f, i) => (f ? [i] : []))).toEqual([5, 40, 69]);
    expect(dsts[68]!.item()).toBe(68);
    expect(unscaleAndCheck([], [], 1)).toEqual([]);
  });

  it('refuses bad input, naming the op and the argument', () => {
    expect(() => unscaleAndCheck([zeros([2])], [zeros([3])], 1)).toThrow(ShapeError);
    expect(() => unscaleAndCheck([zeros([2])], [], 1)).toThrow(ArgumentError);
    expect(() => unscaleAndCheck([zeros([2])], [zeros([2])], 0)).toThrow(/invScale/);
    expect(() => unscaleAndCheck([zeros([2])], [zeros([2])], Number.POSITIVE_INFINITY)).toThrow(
      /unscale_check/,
    );
    expect(() => unscaleAndCheck([zeros([2], { dtype: 'int32' })], [zeros([2])], 1)).toThrow(DTypeError);
  });
});
