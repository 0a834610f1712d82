// The SIMD rows of the unary kernels (and the SIMD half conversions the scalar loops stage through)
// must give exactly the scalar loops' bits on every ISA, NaN payloads included.
import { describe, expect, it } from 'vitest';
import type { DType } from '../src/index';
import { compareAcrossIsas, type Job, outputOf, prng, tensorOf } from './helpers/isa';

const SIZES = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 4099];
const DTYPES: DType[] = ['float32', 'float16', 'bfloat16'];

function jobs(): Job[] {
  const rand = prng(11);
  const out: Job[] = [];
  const kernels: [string, number[]][] = [
    ['neg', []],
    ['abs', []],
    ['relu', []],
    ['sqrt', []],
    ['rsqrt', []],
    ['exp', []],
    ['log', []],
    ['tanh', []],
    ['sigmoid', []],
    ['clamp', [1, -0.75, 1, 0.5]],
    ['clamp', [1, 0, 0, 0]],
    ['clamp', [0, 0, 1, Number.NaN]],
    ['clamp', [1, 2, 1, 1]],
  ];
  for (const [kernel, attrs] of kernels) {
    for (const dtype of DTYPES) {
      for (const n of SIZES) {
        const off = n % 4;
        const label = `${kernel}(${attrs.join(',')}) ${dtype} n=${n}`;
        out.push({
          label,
          kernel,
          attrs,
          tensors: [tensorOf(dtype, n, rand, off), outputOf(dtype, n, (off + 1) % 4)],
        });
      }
      out.push({
        label: `${kernel} ${dtype} strided`,
        kernel,
        attrs,
        tensors: [tensorOf(dtype, 40, rand, 1, 3), outputOf(dtype, 40)],
      });
    }
  }
  for (const dtype of DTYPES) {
    for (const kernel of ['isnan', 'isfinite']) {
      out.push({
        label: `${kernel} ${dtype}`,
        kernel,
        attrs: [],
        tensors: [tensorOf(dtype, 300, rand), outputOf('bool', 300)],
      });
    }
  }
  return out;
}

describe('unary kernels: SIMD rows equal the scalar loops', () => {
  it('on every ISA this CPU has, bit for bit', () => {
    const { isas, mismatches } = compareAcrossIsas(jobs());
    expect(isas[0]).toBe('scalar');
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
