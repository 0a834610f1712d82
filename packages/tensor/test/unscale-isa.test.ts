// The AVX-512 register pass of unscale_check (widen, multiply, test the exponent) must give exactly the
// bits and the overflow flags of the portable path (cast, multiply, check) on every ISA.
import { describe, expect, it } from 'vitest';
import type { DType } from '../src/index';
import { compareAcrossIsas, type Job, outputOf, prng, tensorOf } from './helpers/isa';

const SIZES = [1, 15, 16, 17, 4095, 4096, 4097, 10_000];
const DTYPES: DType[] = ['float32', 'float16', 'bfloat16'];

function jobs(): Job[] {
  const rand = prng(5);
  const out: Job[] = [];
  for (const dtype of DTYPES) {
    for (const n of SIZES) {
      for (const invScale of [2 ** -16, 0.75]) {
        out.push({
          label: `unscale_check ${dtype} n=${n} inv=${invScale}`,
          kernel: 'unscale_check',
          attrs: [invScale],
          // Random bit patterns: about 1 in 32 half values is inf or NaN, so most rows overflow.
          tensors: [tensorOf(dtype, n, rand), outputOf('float32', n), outputOf('int32', 1)],
        });
      }
    }
  }
  return out;
}

describe('unscale_check: the AVX-512 pass equals the portable path', () => {
  it('on every ISA this CPU has, bit for bit, flags included', () => {
    const { isas, mismatches } = compareAcrossIsas(jobs());
    expect(isas[0]).toBe('scalar');
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
