// Bad conv2d arguments throw MantissaError subclasses that name the op, the expected and the actual
// value; the raw kernels refuse bad descriptors without crashing.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  conv2d,
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  DTypeError,
  KernelError,
  type MantissaError,
  runKernel,
  ShapeError,
  type Tensor,
  tidy,
  zeros,
} from '../src/index';

// biome-ignore lint/suspicious/noExplicitAny: any error constructor
type ErrorClass = new (...args: any[]) => MantissaError;

function expectError(fn: () => unknown, cls: ErrorClass, op: string, ...fragments: string[]): void {
  let err: unknown;
  try {
    tidy(fn);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  const e = err as MantissaError;
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  for (const f of fragments) expect(e.message).toContain(f);
}

describe('conv2d argument errors', () => {
  const x = () => zeros([2, 4, 6, 6]);
  const w = () => zeros([6, 4, 3, 3]);

  it('wrong ranks', () => {
    expectError(() => conv2d(zeros([4, 6, 6]), w()), ShapeError, 'conv2d', '4-d x', '[4, 6, 6]');
    expectError(() => conv2d(x(), zeros([6, 4, 3])), ShapeError, 'conv2d', '4-d weight', '[6, 4, 3]');
    expectError(
      () => conv2dBackwardInput(zeros([2, 6, 4]), w(), [2, 4, 6, 6]),
      ShapeError,
      'conv2d_backward_input',
      '4-d gradOutput',
    );
    expectError(() => conv2dBackwardBias(zeros([2, 6])), ShapeError, 'conv2d_backward_bias', '[2, 6]');
  });

  it('channel mismatch between x and weight', () => {
    expectError(
      () => conv2d(x(), zeros([6, 3, 3, 3])),
      ShapeError,
      'conv2d',
      'input channels',
      'x.shape[1] = 3',
      'got x [2, 4, 6, 6]',
    );
    expectError(
      () => conv2d(x(), zeros([6, 1, 3, 3]), null, { groups: 2 }),
      ShapeError,
      'conv2d',
      'x.shape[1] = 2',
      'groups = 2',
    );
  });

  it('groups that do not divide the channels', () => {
    expectError(
      () => conv2d(x(), zeros([6, 1, 3, 3]), null, { groups: 3 }),
      ArgumentError,
      'conv2d',
      'input channels 4',
      'got 3',
    );
    expectError(
      () => conv2d(x(), zeros([5, 2, 3, 3]), null, { groups: 2 }),
      ArgumentError,
      'conv2d',
      'output channels 5',
    );
    expectError(() => conv2d(x(), w(), null, { groups: 0 }), ArgumentError, 'conv2d', 'groups', 'got 0');
  });

  it('kernel larger than the padded input', () => {
    expectError(
      () => conv2d(zeros([1, 1, 2, 5]), zeros([1, 1, 3, 3])),
      ShapeError,
      'conv2d',
      'padded input [2, 5]',
      'got [3, 3]',
    );
    expectError(
      () => conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { dilation: 3 }),
      ShapeError,
      'conv2d',
      'got [7, 7]',
    );
    expect(tidy(() => conv2d(zeros([1, 1, 1, 1]), zeros([1, 1, 3, 3]), null, { padding: 1 }).shape)).toEqual([
      1, 1, 1, 1,
    ]);
  });

  it('zero, negative or fractional stride, padding, dilation', () => {
    expectError(
      () => conv2d(x(), w(), null, { stride: 0 }),
      ArgumentError,
      'conv2d',
      'stride',
      'positive',
      'got 0',
    );
    expectError(() => conv2d(x(), w(), null, { stride: [1, -2] }), ArgumentError, 'conv2d', 'got [1, -2]');
    expectError(() => conv2d(x(), w(), null, { stride: 1.5 }), ArgumentError, 'conv2d', 'got 1.5');
    expectError(
      () => conv2d(x(), w(), null, { padding: -1 }),
      ArgumentError,
      'conv2d',
      'padding',
      'non-negative',
    );
    expectError(() => conv2d(x(), w(), null, { dilation: 0 }), ArgumentError, 'conv2d', 'dilation');
    expectError(
      // biome-ignore lint/suspicious/noExplicitAny: a wrong type on purpose
      () => conv2d(x(), w(), null, { stride: [1, 2, 3] as any }),
      ArgumentError,
      'conv2d',
      'pair',
    );
  });

  it('bias, dtype and gradient shapes', () => {
    expectError(() => conv2d(x(), w(), zeros([5])), ShapeError, 'conv2d', 'bias [6]', 'got bias [5]');
    expectError(
      () => conv2d(zeros([2, 4, 6, 6], { dtype: 'int32' }), zeros([6, 4, 3, 3], { dtype: 'int32' })),
      DTypeError,
      'conv2d',
      'int32',
      'float32',
    );
    expectError(
      () => conv2dBackwardInput(zeros([2, 6, 3, 3]), w(), [2, 4, 6, 6]),
      ShapeError,
      'conv2d_backward_input',
      '[2, 6, 4, 4]',
      'got gradOutput [2, 6, 3, 3]',
    );
    expectError(
      () => conv2dBackwardWeight(zeros([2, 6, 4, 4]), x(), [6, 4, 3]),
      ArgumentError,
      'conv2d_backward_weight',
      'weightShape',
    );
    expectError(
      () => conv2dBackwardInput(zeros([2, 6, 4, 4]), w(), [2, 4, -6, 6]),
      ArgumentError,
      'conv2d_backward_input',
      'inputShape',
    );
    expectError(() => conv2d(x(), {} as Tensor), ArgumentError, 'conv2d', 'weight', 'a Tensor');
  });

  it('the raw kernels refuse bad descriptors', () => {
    const attrs = [1, 1, 0, 0, 1, 1, 1];
    tidy(() => {
      const out = zeros([2, 6, 4, 4]);
      expect(() => runKernel('conv2d', [x(), w(), out], [1, 1, 0, 0, 1, 1])).toThrow(KernelError);
      expect(() => runKernel('conv2d', [x(), w(), out], [0, 1, 0, 0, 1, 1, 1])).toThrow(/stride_h/);
      expect(() => runKernel('conv2d', [x(), w(), zeros([2, 6, 4, 5])], attrs)).toThrow(/expected output/);
      expect(() => runKernel('conv2d', [x(), w(), out.transpose(2, 3)], attrs)).toThrow(/contiguous/);
      expect(() => runKernel('conv2d', [x(), w(), zeros([6]), out.double()], attrs)).toThrow(/float32/);
      expect(() => runKernel('conv2d', [x(), w(), zeros([5]), out], attrs)).toThrow(/bias \[6\]/);
      expect(() => runKernel('conv2d_backward_weight', [out, x(), zeros([6, 4, 3, 2])], attrs)).toThrow(
        /expected output/,
      );
      expect(() => runKernel('conv2d_backward_input', [out, w()], attrs)).toThrow(/expected 3 tensor/);
    });
  });
});
