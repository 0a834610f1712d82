import { describe, expect, it } from 'vitest';
import { arange, manualSeed, memory, rand, randn, Tensor, tensor, tidy, zeros } from '../src/index';

describe('smoke', () => {
  it('round-trips float32 through float16', () => {
    const x = tensor([1, 0.1, 65504, 65520, 1e-8, -2.5]);
    const h = x.half();
    expect(h.dtype).toBe('float16');
    expect(Array.from(h.bits())).toEqual([0x3c00, 0x2e66, 0x7bff, 0x7c00, 0x0000, 0xc100]);
    expect(h.float().toArray()).toEqual([1, 0.0999755859375, 65504, Infinity, 0, -2.5]);
  });
  it('views', () => {
    const x = arange(12).reshape([3, 4]);
    expect(x.T.contiguous().toArray()).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
    expect(x.slice(1, 1, 3).toArray()).toEqual([
      [1, 2],
      [5, 6],
      [9, 10],
    ]);
    expect(Tensor.fromBits(new Uint16Array([0x3c00]), 'bfloat16').toArray()).toEqual([0.0078125]);
  });
  it('random is reproducible', () => {
    manualSeed(1);
    const a = rand([5]).toArray();
    manualSeed(1);
    expect(rand([5]).toArray()).toEqual(a);
    expect(randn([3]).dtype).toBe('float32');
  });
  it('tidy frees', () => {
    const before = memory();
    tidy(() => {
      zeros([10]).half().float();
    });
    expect(memory()).toEqual(before);
  });
});
