import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  add,
  BroadcastError,
  DTypeError,
  div,
  KernelError,
  maximum,
  minimum,
  mul,
  pow,
  runKernel,
  sub,
  Tensor,
  tensor,
  tidy,
} from '../src/index';
import { checkCase, loadCases } from './helpers/elementwise';

const COMPARISONS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const cases = loadCases('elementwise_binary').filter((c) => !COMPARISONS.has(c.op));

describe('binary arithmetic matches PyTorch', () => {
  it('covers every op and dtype', () => {
    const ids = new Set(cases.map((c) => c.id.split('/').slice(0, 2).join('/')));
    for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']) {
      for (const dt of ['float32', 'float16', 'bfloat16', 'float64'])
        expect(ids, `${op}/${dt}`).toContain(`${op}/${dt}`);
    }
    for (const op of ['add', 'mul', 'maximum', 'minimum']) expect(ids).toContain(`${op}/bool`);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_, c) => checkCase(c));
});

describe('binary arithmetic: semantics PyTorch leaves open', () => {
  it('maximum(+0, -0) is +0 and minimum(+0, -0) is -0, on every path', () => {
    tidy(() => {
      for (const dtype of ['float32', 'float16', 'bfloat16', 'float64'] as const) {
        for (const n of [1, 40]) {
          const p = tensor(new Array(n).fill(0), { dtype });
          const m = tensor(new Array(n).fill(-0), { dtype });
          for (const [a, b] of [
            [p, m],
            [m, p],
          ] as const) {
            expect(Object.is(maximum(a, b).data()[n - 1], 0), `${dtype} max`).toBe(true);
            expect(Object.is(minimum(a, b).data()[n - 1], -0), `${dtype} min`).toBe(true);
          }
          expect(Object.is(maximum(m, 0).data()[0], 0)).toBe(true);
        }
      }
    });
  });
  it('2.5 / x is a correctly rounded division (PyTorch rounds twice: x.reciprocal() * 2.5)', () => {
    // 3 / 0.5625 = 5.333..., 1 / 0.5625 = 1.777... rounded then times 3 is one ulp off.
    const x = tensor([0.5625, 1.21, 7.3]);
    expect(Array.from(div(3, x).data())).toEqual(Array.from(x.data(), (v) => Math.fround(3 / v)));
  });
});

describe('binary arithmetic: errors', () => {
  it('broadcasting errors name the op and both shapes', () => {
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(BroadcastError);
    expect(() => mul(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(
      /^mul: shapes \[3\] and \[2\] cannot be broadcast together/,
    );
  });
  it('sub and pow refuse bool', () => {
    expect(() => sub(tensor([true]), tensor([false]))).toThrow(DTypeError);
    expect(() => pow(tensor([true]), true)).toThrow(/^pow: unsupported dtype bool/);
  });
  it('an integer tensor to a negative integer power throws, as in PyTorch', () => {
    const x = tensor([2, 3], { dtype: 'int32' });
    expect(() => pow(x, -1)).toThrow(ArgumentError);
    expect(() => x.pow(-2)).toThrow(/integers to negative integer powers are not allowed/);
    expect(pow(x, -0.5).dtype).toBe('float32');
  });
  it('an int32 computation refuses a scalar outside the int32 range', () => {
    expect(() => add(tensor([1], { dtype: 'int32' }), 2 ** 31)).toThrow(
      /^add: expected b to be a scalar in the int32 range/,
    );
    expect(() => add(-(2 ** 40), tensor([true]))).toThrow(ArgumentError);
  });
  it('two scalars are refused', () => {
    expect(() => add(1, 2)).toThrow(/^add: expected a or b to be a Tensor/);
  });
  it('disposed operands throw', () => {
    const x = tensor([1]);
    x.dispose();
    expect(() => add(x, 1)).toThrow(/^add: tensor is disposed/);
  });
});

describe('binary kernels validate their arguments', () => {
  const call = (name: string, ts: Tensor[], attrs: number[]) => () => runKernel(name, ts, attrs);
  it('refuses bad modes, counts, dtypes and scalars without crashing', () => {
    tidy(() => {
      const f = (n: number, dt: Tensor['dtype'] = 'float32') => Tensor.empty([n], dt);
      expect(call('add', [f(3), f(3), f(3)], [])).toThrow(/add: expected attrs\[0\]/);
      expect(call('add', [f(3), f(3), f(3)], [3, 0])).toThrow(/scalar mode/);
      expect(call('add', [f(3), f(3)], [0, 0])).toThrow(/expected 3 tensor arguments in scalar mode 0/);
      expect(call('add', [f(3), f(3), f(3)], [1, 0])).toThrow(/expected 2 tensor arguments in scalar mode 1/);
      expect(call('add', [f(3), f(3)], [1])).toThrow(/expected attrs\[1\]/);
      expect(call('add', [f(3), f(3, 'float16'), f(3)], [0, 0])).toThrow(/operand dtypes differ/);
      expect(call('add', [f(3), f(3), f(3, 'float64')], [0, 0])).toThrow(
        /output dtype float64 does not match/,
      );
      expect(call('lt', [f(3), f(3), f(3)], [0, 0])).toThrow(/expected bool/);
      expect(call('add', [f(3), f(4), f(3)], [0, 0])).toThrow(KernelError);
      expect(call('div', [f(3, 'int32'), f(3, 'int32')], [1, 2])).toThrow(/div: unsupported dtype int32/);
      expect(call('sub', [f(3, 'bool'), f(3, 'bool')], [1, 1])).toThrow(/sub: unsupported dtype bool/);
      expect(call('add', [f(3, 'int32'), f(3, 'int32')], [1, 0.5])).toThrow(
        /scalar 0.5 is not representable in int32/,
      );
      expect(call('add', [f(3, 'bool'), f(3, 'bool')], [1, 2])).toThrow(/not representable in bool/);
      expect(call('pow', [f(3, 'int32'), f(3, 'int32')], [1, -1])).toThrow(
        /Integers to negative integer powers/,
      );
    });
  });
});
