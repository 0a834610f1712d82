// The SIMD rows of the binary kernels (AVX2, AVX-512) must give exactly the scalar loops' bits, NaN
// payloads included, for every length (vector bodies and tails), alignment and broadcast layout.
import { describe, expect, it } from 'vitest';
import type { DType } from '../src/index';
import { compareAcrossIsas, type Job, outputOf, prng, tensorOf } from './helpers/isa';

const SIZES = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 65, 100, 1000, 4099];
const DTYPES: DType[] = ['float32', 'float16', 'bfloat16'];

function jobs(): Job[] {
  const rand = prng(7);
  const out: Job[] = [];
  for (const kernel of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum']) {
    for (const dtype of DTYPES) {
      for (const n of SIZES) {
        const off = n % 3;
        const label = `${kernel} ${dtype} n=${n}`;
        const a = () => tensorOf(dtype, n, rand, off);
        const scalar = () => ({ ...tensorOf(dtype, 1, rand), shape: [n], strides: [0] });
        out.push({
          label: `${label} a,b`,
          kernel,
          attrs: [0, 0],
          tensors: [a(), tensorOf(dtype, n, rand, 1), outputOf(dtype, n, off)],
        });
        out.push({
          label: `${label} a,[b]`,
          kernel,
          attrs: [0, 0],
          tensors: [a(), scalar(), outputOf(dtype, n)],
        });
        out.push({
          label: `${label} [a],b`,
          kernel,
          attrs: [0, 0],
          tensors: [scalar(), a(), outputOf(dtype, n)],
        });
        for (const s of [0.1, -3, Number.NaN, Number.POSITIVE_INFINITY, 0, -0]) {
          out.push({
            label: `${label} x op ${s}`,
            kernel,
            attrs: [1, s],
            tensors: [a(), outputOf(dtype, n, 2)],
          });
          out.push({
            label: `${label} ${s} op x`,
            kernel,
            attrs: [2, s],
            tensors: [a(), outputOf(dtype, n, 1)],
          });
        }
      }
    }
  }
  // Ops without SIMD rows of their own that stage half rows through the SIMD conversions.
  for (const dtype of DTYPES) {
    for (const n of [5, 16, 33, 300]) {
      for (const kernel of ['lt', 'eq', 'pow']) {
        const o = kernel === 'pow' ? dtype : 'bool';
        out.push({
          label: `${kernel} ${dtype} n=${n}`,
          kernel,
          attrs: [0, 0],
          tensors: [tensorOf(dtype, n, rand), tensorOf(dtype, n, rand), outputOf(o, n)],
        });
      }
      for (const e of [2, 3, -1, 0.5, -0.5, -2, 2.5]) {
        out.push({
          label: `pow ${dtype} n=${n} x ** ${e}`,
          kernel: 'pow',
          attrs: [1, e],
          tensors: [tensorOf(dtype, n, rand), outputOf(dtype, n)],
        });
      }
      // A strided row (every other element) takes the scalar loop on every ISA.
      out.push({
        label: `add ${dtype} n=${n} strided`,
        kernel: 'add',
        attrs: [0, 0],
        tensors: [tensorOf(dtype, n, rand, 0, 2), tensorOf(dtype, n, rand, 1, 3), outputOf(dtype, n)],
      });
    }
  }
  return out;
}

describe('binary kernels: SIMD rows equal the scalar loops', () => {
  it('on every ISA this CPU has, bit for bit', () => {
    const { isas, mismatches } = compareAcrossIsas(jobs());
    expect(isas[0]).toBe('scalar');
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
