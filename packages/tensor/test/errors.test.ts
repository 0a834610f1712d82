import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  AxisError,
  arange,
  BroadcastError,
  DisposedError,
  DTypeError,
  full,
  KernelError,
  MantissaError,
  memory,
  NotCompiledWithCudaError,
  rand,
  randn,
  runKernel,
  ShapeError,
  Tensor,
  tensor,
  tidy,
  zeros,
} from '../src/index';

// biome-ignore lint/suspicious/noExplicitAny: any error constructor
type ErrorClass = new (...args: any[]) => MantissaError;

/**
 * Runs fn and checks the error: its class, its op, that the message starts with the op and contains
 * every expected fragment (the expected and the actual value), and the base class.
 */
function expectError(
  fn: () => unknown,
  cls: ErrorClass,
  op: string,
  ...fragments: (string | RegExp)[]
): MantissaError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${op} should throw ${cls.name}`).toBeInstanceOf(cls);
  const e = err as MantissaError;
  expect(e).toBeInstanceOf(MantissaError);
  expect(MantissaError.isInstance(e)).toBe(true);
  expect(e.name).toBe(cls.name);
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `), e.message).toBe(true);
  for (const f of fragments) {
    if (typeof f === 'string') expect(e.message).toContain(f);
    else expect(e.message).toMatch(f);
  }
  return e;
}

describe('bad input throws a MantissaError naming the op, the expected and the actual value', () => {
  it('shape mismatch', () =>
    tidy(() => {
      const x = arange(6);
      const e = expectError(
        () => x.reshape([4, 2]),
        ShapeError,
        'reshape',
        'a shape with 6 elements',
        '[4, 2]',
      );
      expect((e as ShapeError).actual).toEqual([4, 2]);
      expectError(() => x.view([7]), ShapeError, 'view', '6 elements', '[7]');
      expectError(() => x.reshape([4, -1]), ShapeError, 'reshape', '6 elements', '[4, -1]');
      expectError(
        () => x.reshape([2, 3]).permute([0]),
        ShapeError,
        'permute',
        'a permutation of 2 dims',
        '[0]',
      );
      expectError(
        () => x.reshape([2, 3]).permute([1, 1]),
        ShapeError,
        'permute',
        'a permutation of 2 dims',
        '[1, 1]',
      );
      expectError(() => x.reshape([2, 3]).T.view([6]), ShapeError, 'view', 'stride', '[6]');
      expectError(() => x.item(), ShapeError, 'item', 'one element', '[6]');
      expectError(() => tensor(1).slice(0, 0), ShapeError, 'slice', 'at least 1 dim', '[]');
      expectError(() => tensor(1).narrow(0, 0, 1), ShapeError, 'narrow', 'at least 1 dim', '[]');
    }));

  it('impossible broadcast (expand)', () =>
    tidy(() => {
      const x = zeros([3, 2]);
      const e = expectError(() => x.expand([3, 4]), BroadcastError, 'expand', '[3, 2]', '[3, 4]');
      expect([(e as BroadcastError).lhs, (e as BroadcastError).rhs]).toEqual([
        [3, 2],
        [3, 4],
      ]);
      expectError(() => x.expand([2]), ShapeError, 'expand', 'at least 2 dims', '[2]');
      expectError(() => x.expand([-1, 3, 2]), ShapeError, 'expand', 'non-negative sizes', '[-1, 3, 2]');
      expectError(() => zeros([1]).expand([2 ** 30, 2 ** 30]), ArgumentError, 'expand', '2^46', '1073741824');
    }));

  it('unsupported dtype', () =>
    tidy(() => {
      const names = 'float32, float16, bfloat16, float64, int32, bool';
      expectError(
        () => zeros([2], { dtype: 'float8' as never }),
        DTypeError,
        'full',
        'unsupported dtype float8',
        names,
      );
      expectError(() => tensor([1], { dtype: 'int64' as never }), DTypeError, 'tensor', 'int64', names);
      expectError(() => arange(3).to('float8' as never), DTypeError, 'to', 'float8', names);
      expectError(
        () => rand([2], { dtype: 'int32' }),
        DTypeError,
        'rand',
        'unsupported dtype int32',
        'float32',
      );
      expectError(() => randn([2], { dtype: 'bool' }), DTypeError, 'randn', 'bool', 'float32');
      expectError(() => arange(3, undefined, 1, { dtype: 'bool' }), DTypeError, 'arange', 'bool', 'int32');
      expectError(() => arange(3).bits(), DTypeError, 'bits', 'float32', 'float16, bfloat16');
      const e = expectError(() => zeros([1], { dtype: 'half' as never }), DTypeError, 'full', 'half');
      expect((e as DTypeError).actual).toBe('half');
    }));

  it('axis out of range', () =>
    tidy(() => {
      const x = zeros([2, 3]);
      const cases: [() => unknown, string, number][] = [
        [() => x.squeeze(2), 'squeeze', 2],
        [() => x.squeeze(-3), 'squeeze', -3],
        [() => x.unsqueeze(3), 'unsqueeze', 3],
        [() => x.unsqueeze(-4), 'unsqueeze', -4],
        [() => x.transpose(0, 2), 'transpose', 2],
        [() => x.permute([0, 2]), 'permute', 2],
        [() => x.slice(5, 0), 'slice', 5],
        [() => x.narrow(-3, 0, 1), 'narrow', -3],
      ];
      for (const [fn, op, axis] of cases) {
        const e = expectError(
          fn,
          AxisError,
          op,
          `axis ${axis} is out of range`,
          /for a tensor of \d dims \(expected -\d\.\.\d\)/,
        );
        expect((e as AxisError).axis).toBe(axis);
      }
      expectError(() => x.squeeze(1.5), ArgumentError, 'squeeze', 'axis', 'an integer', '1.5');
      expectError(() => x.permute(['0', 1] as never), ArgumentError, 'permute', 'axis', '0');
    }));

  it('negative or fractional sizes', () =>
    tidy(() => {
      const sizes: unknown[][] = [[-1], [1.5], [2, -3], [Number.NaN], [Infinity], ['2'], [null]];
      for (const s of sizes) {
        expectError(() => zeros(s as number[]), ArgumentError, 'full', 'an array of non-negative integers');
        expectError(() => rand(s as number[]), ArgumentError, 'rand', 'non-negative integers');
        // -1 is reshape's "infer this size", so [-1, 6] is valid there.
        if (s[0] !== -1) {
          const x = arange(6);
          expectError(
            () => x.reshape([...(s as number[]), 6]),
            ArgumentError,
            'reshape',
            'non-negative integers',
          );
        }
        expectError(
          () => tensor([1], { shape: s as number[] }),
          ArgumentError,
          'tensor',
          'non-negative integers',
        );
      }
      expectError(() => zeros(3 as never), ArgumentError, 'full', 'an array', 'got 3');
      expectError(() => zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), ArgumentError, 'full', 'at most 8 dims');
      expectError(() => zeros([2 ** 24, 2 ** 24]), ArgumentError, 'full', 'at most 2^46 elements');
      expectError(() => arange(6).slice(0, 1.5), ArgumentError, 'slice', 'start', 'an integer', '1.5');
      expectError(
        () => arange(6).slice(0, 0, 6, 0),
        ArgumentError,
        'slice',
        'step',
        'a positive integer',
        'got 0',
      );
      expectError(() => arange(6).narrow(0, 2, -1), ArgumentError, 'narrow', 'length', 'in 0..4', '-1');
      expectError(() => arange(6).narrow(0, 7, 0), ArgumentError, 'narrow', 'start', 'in -6..6', '7');
      expectError(() => arange(6).reshape([-1, -1]), ArgumentError, 'reshape', 'at most one -1', '[-1, -1]');
    }));

  it('data not matching the shape', () =>
    tidy(() => {
      expectError(
        () => tensor([1, 2, 3], { shape: [2, 2] }),
        ShapeError,
        'tensor',
        'a shape with 3 elements',
        '[2, 2]',
      );
      expectError(() => tensor([[1, 2], [3]]), ShapeError, 'tensor', 'length 2 at depth 1', 'got 1');
      expectError(() => tensor([1, [2]] as never), ShapeError, 'tensor', 'ragged', 'data[1]');
      expectError(
        () => Tensor.fromBits(new Uint16Array(3), 'bfloat16', [2]),
        ShapeError,
        'fromBits',
        '3 elements',
        '[2]',
      );
      expectError(
        () => tensor(['a'] as never),
        ArgumentError,
        'tensor',
        'data[0]',
        'a number or boolean',
        'got a',
      );
      expectError(() => full([2], 'x' as never), ArgumentError, 'full', 'value', 'got x');
      expectError(
        () => full([2], 70000, { dtype: 'float16' }),
        ArgumentError,
        'full',
        'float16 can hold',
        '70000',
      );
      expectError(() => full([2], Number.NaN, { dtype: 'int32' }), ArgumentError, 'full', 'int32', 'NaN');
    }));

  it('disposed tensors', () => {
    const x = zeros([2]);
    x.dispose();
    expectError(
      () => x.reshape([2]),
      DisposedError,
      'reshape',
      'tensor is disposed',
      'expected a live tensor',
    );
    expectError(() => x.float(), DisposedError, 'to', 'disposed');
    expectError(() => x.data(), DisposedError, 'data', 'disposed');
    expectError(() => runKernel('fill', [x], [1]), DisposedError, 'fill', 'disposed');
  });

  it("device 'cuda' without CUDA, and bad device names", () =>
    tidy(() => {
      for (const device of ['cuda', 'cuda:0', 'cuda:3']) {
        expectError(
          () => zeros([2], { device: device as never }),
          NotCompiledWithCudaError,
          'full',
          "device 'cuda' is not available",
        );
        expectError(
          () => arange(2).to(device as never),
          NotCompiledWithCudaError,
          'to',
          "device 'cuda' is not available",
        );
      }
      expectError(() => tensor([1], { device: 'cuda' }), NotCompiledWithCudaError, 'tensor', 'not available');
      expectError(() => rand([1], { device: 'cuda' }), NotCompiledWithCudaError, 'rand', 'not available');
      for (const device of ['gpu', 'CUDA', 'cuda:', 'cuda:x', 'cuda:-1', ' cpu', 0, {}]) {
        expectError(
          () => zeros([1], { device: device as never }),
          ArgumentError,
          'full',
          "'cpu', 'cuda' or 'cuda:N'",
        );
        expectError(
          () => arange(1).to({ device: device as never }),
          ArgumentError,
          'to',
          "'cpu', 'cuda' or 'cuda:N'",
        );
      }
      expectError(
        () => zeros([1], 'float16' as never),
        ArgumentError,
        'full',
        'options',
        '{ dtype?, device? }',
      );
      expectError(() => arange(1).to(5 as never), ArgumentError, 'to', 'target', 'got 5');
    }));

  it('native refusals surface as KernelError with the status code', () =>
    tidy(() => {
      const x = zeros([4]);
      const e = expectError(
        () => runKernel('no_such_kernel', [x]),
        KernelError,
        'no_such_kernel',
        "no native kernel named 'no_such_kernel'",
      );
      expect((e as KernelError).code).toBe('UNKNOWN_KERNEL');
      const f = expectError(() => runKernel('fill', [x], []), KernelError, 'fill', 'expected 1 attribute');
      expect((f as KernelError).code).toBe('INVALID_ARGUMENT');
      const g = expectError(
        () => runKernel('cast', [x]),
        KernelError,
        'cast',
        'expected 2 tensor arguments, got 1',
      );
      expect((g as KernelError).code).toBe('INVALID_ARGUMENT');
      const h = expectError(() => runKernel('cast', [x, zeros([5])]), KernelError, 'cast', 'shapes differ');
      expect((h as KernelError).code).toBe('SHAPE');
      // A view whose layout reaches past its storage is refused before any kernel reads it.
      const bad = new Tensor(x.storage, [5], 'float32');
      const i = expectError(
        () => runKernel('fill', [bad], [0]),
        KernelError,
        'fill',
        'reaches byte 20 of a storage of 16 bytes',
      );
      expect((i as KernelError).code).toBe('INVALID_ARGUMENT');
    }));

  it('a refused call leaks nothing', () => {
    const before = memory();
    for (let i = 0; i < 20; i++) {
      try {
        tensor([1, 2, 3], { shape: [4] });
      } catch {}
      try {
        zeros([2], { dtype: 'float8' as never });
      } catch {}
      try {
        tidy(() => arange(4).reshape([3]));
      } catch {}
      try {
        tidy(() => zeros([3]).expand([4]));
      } catch {}
    }
    expect(memory()).toEqual(before);
  });
});
