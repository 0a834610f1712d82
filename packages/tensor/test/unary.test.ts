import { describe, expect, it } from 'vitest';
import { DTypeError, KernelError, runKernel, Tensor, tensor, tidy } from '../src/index';
import { checkCase, loadCases } from './helpers/elementwise';

const cases = loadCases('elementwise_unary');

describe('unary ops match PyTorch', () => {
  it('covers every op and dtype', () => {
    const ids = new Set(cases.map((c) => c.id.split('/').slice(0, 2).join('/')));
    for (const op of [
      'neg',
      'abs',
      'relu',
      'exp',
      'log',
      'sqrt',
      'rsqrt',
      'sigmoid',
      'tanh',
      'isfinite',
      'isnan',
    ]) {
      for (const dt of ['float32', 'float16', 'bfloat16', 'float64', 'int32'])
        expect(ids, `${op}/${dt}`).toContain(`${op}/${dt}`);
    }
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_, c) => checkCase(c));
});

describe('unary ops: dtypes', () => {
  it('neg, abs and relu refuse bool, naming the op', () => {
    const b = tensor([true, false]);
    for (const op of ['neg', 'abs', 'relu'] as const) {
      expect(() => b[op]()).toThrow(DTypeError);
      expect(() => b[op]()).toThrow(new RegExp(`^${op}: unsupported dtype bool`));
    }
  });
  it('float functions of int32 and bool return float32', () => {
    tidy(() => {
      expect(tensor([1, 4], { dtype: 'int32' }).sqrt().dtype).toBe('float32');
      expect(tensor([true]).exp().dtype).toBe('float32');
      expect(tensor([1.5], { dtype: 'float16' }).exp().dtype).toBe('float16');
      expect(tensor([1], { dtype: 'int32' }).isnan().dtype).toBe('bool');
    });
  });
  it('int32 neg and abs wrap at INT32_MIN, as in PyTorch', () => {
    const x = tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1, -5]));
    expect(x.neg().toArray()).toEqual([-(2 ** 31), -(2 ** 31) + 1, 5]);
    expect(x.abs().toArray()).toEqual([-(2 ** 31), 2 ** 31 - 1, 5]);
  });
});

/** |got - want| in ulps of float32 at want (want a double). */
function ulpError(got: number, want: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === Math.fround(want) ? 0 : Infinity;
  const e = Math.max(Math.floor(Math.log2(Math.abs(want))), -126);
  return Math.abs(got - want) / 2 ** (e - 23);
}

describe('exp accuracy (float32)', () => {
  // Every 4093rd float32 bit pattern: all exponents, both signs, NaNs, subnormals.
  const bits = new Uint32Array(Math.ceil(2 ** 32 / 4093));
  for (let i = 0; i < bits.length; i++) bits[i] = i * 4093;
  const x = new Float32Array(bits.buffer);
  it('is within 1 ulp of the true value (max 0.988 ulp over all 2^32 inputs, checked offline)', () => {
    const got = tensor(x).exp().data();
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, ulpError(got[i]!, Math.exp(x[i]!)));
    expect(worst).toBeLessThanOrEqual(1);
  });
  it('sigmoid = 1 / (1 + exp(-x)) is within 2.5 ulps (exp 1, the add and the division 0.5 each)', () => {
    const got = tensor(x).sigmoid().data();
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      if (x[i]! < -88) continue; // exp(-x) overflows to inf and the result to 0, as in PyTorch
      worst = Math.max(worst, ulpError(got[i]!, 1 / (1 + Math.exp(-x[i]!))));
    }
    expect(worst).toBeLessThanOrEqual(2.5);
  });
});

describe('unary kernels validate their arguments', () => {
  const call =
    (name: string, ts: Tensor[], attrs: number[] = []) =>
    () =>
      runKernel(name, ts, attrs);
  it('refuses mismatched shapes, dtypes and counts without crashing', () => {
    tidy(() => {
      const x = Tensor.empty([4], 'float32');
      expect(call('exp', [x, Tensor.empty([5], 'float32')])).toThrow(/exp: argument 1 has a shape different/);
      expect(call('exp', [x, Tensor.empty([4], 'float16')])).toThrow(
        /exp: output dtype float16 does not match/,
      );
      expect(call('exp', [Tensor.empty([4], 'int32'), Tensor.empty([4], 'int32')])).toThrow(
        /exp: unsupported dtype int32/,
      );
      expect(call('neg', [Tensor.empty([4], 'bool'), Tensor.empty([4], 'bool')])).toThrow(KernelError);
      expect(call('isnan', [x, Tensor.empty([4], 'float32')])).toThrow(/expected bool/);
      expect(call('clamp', [x, Tensor.empty([4], 'float32')], [1, 0])).toThrow(
        /clamp: expected 4 attributes/,
      );
      expect(call('clamp', [Tensor.empty([2], 'int32'), Tensor.empty([2], 'int32')], [1, 0.5, 0, 0])).toThrow(
        /not representable in int32/,
      );
      expect(call('relu', [x])).toThrow(/expected 2 tensor arguments/);
      try {
        call('neg', [Tensor.empty([2], 'bool'), Tensor.empty([2], 'bool')])();
      } catch (e) {
        expect((e as KernelError).code).toBe('UNSUPPORTED_DTYPE');
      }
    });
  });
});
