import { describe, expect, it } from 'vitest';
import { ArgumentError, arange, DTypeError, ShapeError, tensor, tidy, zeros } from '../src/index';
import { checkCase, loadCases } from './helpers/elementwise';

const cases = loadCases('elementwise_misc').filter((c) => c.inplace);

describe('in-place ops match PyTorch', () => {
  it('covers every in-place op', () => {
    const ops = new Set(cases.map((c) => c.op));
    for (const op of ['add_', 'sub_', 'mul_', 'div_', 'copy_', 'fill_', 'zero_', 'clamp_'])
      expect(ops).toContain(op);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_, c) => checkCase(c));
});

describe('in-place ops', () => {
  it('write through views and leave other elements alone', () => {
    tidy(() => {
      const x = zeros([2, 3]);
      x.slice(1, 1, 2).add_(5);
      expect(x.toArray()).toEqual([
        [0, 5, 0],
        [0, 5, 0],
      ]);
    });
  });
  it('a result that does not fit self throws DTypeError (PyTorch: "result type Float can\'t be cast to Int")', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => i.add_(tensor([0.5, 1]))).toThrow(DTypeError);
    expect(() => i.add_(2.5)).toThrow(
      /^add_: unsupported dtype float32 \(expected a result castable to int32\)/,
    );
    expect(() => i.div_(2)).toThrow(DTypeError);
    expect(() => i.clamp_(0.5)).toThrow(DTypeError);
    expect(() => tensor([true]).add_(1)).toThrow(DTypeError);
    expect(() => tensor([true]).sub_(tensor([true]))).toThrow(/^sub_: unsupported dtype bool/);
    expect(i.toArray()).toEqual([1, 2]);
  });
  it('other must broadcast to self', () => {
    expect(() => zeros([3]).add_(zeros([2, 3]))).toThrow(ShapeError);
    expect(() => zeros([3]).copy_(zeros([4]))).toThrow(/^copy_: shapes \[3\] and \[4\] cannot be broadcast/);
  });
  it('refuses to write through an expanded view, as PyTorch does (fill_ may)', () => {
    tidy(() => {
      const e = zeros([1]).expand([3]);
      expect(() => e.add_(1)).toThrow(ArgumentError);
      expect(() => e.clamp_(1)).toThrow(
        /^clamp_: expected self to be a tensor whose elements do not share memory/,
      );
      expect(() => e.copy_(tensor([1, 2, 3]))).toThrow(ArgumentError);
      expect(e.fill_(2).toArray()).toEqual([2, 2, 2]);
    });
  });
  it('refuses an input that partially overlaps self, as PyTorch does', () => {
    tidy(() => {
      const x = arange(9).reshape([3, 3]);
      expect(() => x.add_(x.slice(0, 0, 1))).toThrow(
        /^add_: expected other to be a tensor that does not partially overlap self/,
      );
      expect(() => x.copy_(x.T)).toThrow(ArgumentError);
      x.add_(x);
      expect(x.toArray()).toEqual([
        [0, 2, 4],
        [6, 8, 10],
        [12, 14, 16],
      ]);
      x.slice(0, 0, 1).add_(x.slice(0, 2, 3)); // disjoint rows of one storage
      expect((x.toArray() as number[][])[0]).toEqual([12, 16, 20]);
    });
  });
  it('float16 self with a float32 other rounds once (no double rounding through float16)', () => {
    tidy(() => {
      // The float32 sum 1 + 2^-11 + 2^-22 rounds up to 1 + 2^-10; rounding the other operand to float16
      // first (2^-11, a tie to even) would give a sum that ties down to 1.
      const h = tensor([1], { dtype: 'float16' });
      h.add_(tensor([2 ** -11 + 2 ** -22]));
      expect(h.toArray()).toEqual([1 + 2 ** -10]);
    });
  });
});
