import { describe, expect, it } from 'vitest';
import { ArgumentError, AxisError, arange } from '../src/index';

describe('T and transpose', () => {
  it('T reverses every dim, as PyTorch', () => {
    const x = arange(24).reshape([2, 3, 4]);
    expect(x.T.shape).toEqual([4, 3, 2]);
    expect(x.T.strides).toEqual([1, 4, 12]);
    expect(arange(3).T.shape).toEqual([3]);
  });
  it('transpose(0, 1) of a 1-D tensor is an AxisError, as in PyTorch', () => {
    expect(() => arange(3).transpose(0, 1)).toThrow(AxisError);
    expect(() => arange(3).transpose(0, 0.5)).toThrow(ArgumentError);
  });
});
