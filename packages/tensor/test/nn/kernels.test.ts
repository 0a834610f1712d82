// The nn kernels called directly (runKernel) with hostile arguments refuse with a KernelError naming
// the kernel, never crash; and their results do not depend on the thread count.
import { describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2d,
  avgPool2d,
  backendInfo,
  batchNorm,
  crossEntropy,
  KernelError,
  logSoftmax,
  maxPool2d,
  rand,
  runKernel,
  setNumThreads,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../src/index';

const bad = (name: string, tensors: Tensor[], attrs: number[], message: RegExp) => {
  expect(() => runKernel(name, tensors, attrs)).toThrow(KernelError);
  expect(() => runKernel(name, tensors, attrs)).toThrow(message);
};

describe('kernels refuse bad arguments', () => {
  it('pools', () =>
    tidy(() => {
      const x = zeros([1, 1, 4, 4]);
      const out = zeros([1, 1, 2, 2]);
      const idx = zeros([1, 1, 2, 2], { dtype: 'int32' });
      const good = [2, 2, 2, 2, 0, 0, 1, 1, 0];
      expect(() => runKernel('max_pool2d', [x, out, idx], good)).not.toThrow();
      for (const [i, v] of [
        [0, Number.NaN],
        [0, -1],
        [2, 0],
        [4, 5],
        [6, 0],
        [8, 2],
        [1, 2 ** 40],
      ] as const) {
        const attrs = good.slice();
        attrs[i] = v;
        bad('max_pool2d', [x, out, idx], attrs, /max_pool2d: /);
      }
      bad('max_pool2d', [x, out, idx], good.slice(0, 8), /expected 9 attributes/);
      bad(
        'max_pool2d',
        [x, zeros([1, 1, 3, 2]), idx],
        good,
        /output has shape \[1, 1, 3, 2\] \(expected \[1, 1, 2, 2\]\)/,
      );
      bad('max_pool2d', [x, out, out], good, /indices has dtype float32 \(expected int32\)/);
      bad('max_pool2d', [zeros([1, 4, 4]), out, idx], good, /input has 3 dims \(expected 4\)/);
      bad('avg_pool2d', [x, out], [2, 2, 2, 2, 0, 0, 0, 3], /count_include_pad/);
      bad(
        'avg_pool2d_backward',
        [out, x.expand([1, 1, 4, 4]).transpose(2, 3)],
        [2, 2, 2, 2, 0, 0, 0, 1],
        /contiguous/,
      );
      bad('adaptive_avg_pool2d', [x, zeros([1, 2, 2, 2])], [], /output has shape/);
      bad('max_pool2d_backward', [out, idx.add(-1), x], [], /index -1 is out of range/);
    }));
  it('softmax, cross entropy, batch norm, dropout', () =>
    tidy(() => {
      const x = zeros([3, 4]);
      const t = tensor([0, 1, 2], { dtype: 'int32' });
      bad('log_softmax', [x, zeros([3, 4], { dtype: 'float16' })], [], /output has dtype float16/);
      bad('cross_entropy', [x, t, zeros([])], [5, -100], /reduction/);
      bad('cross_entropy', [x, t, zeros([])], [1, 0.5], /ignore_index/);
      bad('cross_entropy', [x, t, zeros([3])], [1, -100], /loss has shape/);
      bad('cross_entropy', [x, t, zeros([], { dtype: 'float16' })], [1, -100], /loss has dtype/);
      const s = zeros([4]);
      bad(
        'batch_norm',
        [x, x, s, s],
        [1, 0.1, 1e-5, 1, 0, 0],
        /expected 4 tensor arguments, got 4|expected 5 tensor arguments/,
      );
      bad('batch_norm', [x, x, s, s], [2, 0.1, 1e-5, 0, 0, 0], /flag/);
      bad('batch_norm', [x, x, s, s], [1, Number.NaN, 1e-5, 0, 0, 0], /momentum/);
      bad('batch_norm', [x, x, s, zeros([3])], [1, 0.1, 1e-5, 0, 0, 0], /save_invstd has shape/);
      bad('batch_norm_backward', [x, x, s, s, x, s], [1, 0], /expected 7 tensor arguments, got 6/);
      bad('dropout', [x, x, zeros([3, 4], { dtype: 'bool' })], [1, 0, 0], /p must be in \[0, 1\)/);
      bad('dropout', [x, x, zeros([3, 4], { dtype: 'bool' })], [0.5, -1, 0], /seed/);
      bad(
        'dropout',
        [x, x.transpose(0, 1).contiguous().transpose(0, 1), zeros([3, 4], { dtype: 'bool' })],
        [0.5, 1, 0],
        /contiguous/,
      );
      bad('dropout_backward', [x, zeros([3, 4], { dtype: 'bool' }), x], [Number.POSITIVE_INFINITY], /scale/);
    }));
});

describe('results do not depend on the thread count', () => {
  it('pools, log_softmax, cross_entropy, batch_norm', () =>
    tidy(() => {
      const threads = backendInfo().threads;
      const x = rand([4, 16, 33, 31], { dtype: 'bfloat16' });
      const logits = rand([2000, 37]);
      const target = tensor(
        Int32Array.from({ length: 2000 }, (_, i) => (i * 7) % 37),
        { dtype: 'int32' },
      );
      const digest = (): string =>
        [
          maxPool2d(x, 3, { stride: 2, padding: 1 }).output,
          avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
          adaptiveAvgPool2d(x, 5),
          logSoftmax(logits, 1),
          crossEntropy(logits, target),
          batchNorm(x, { training: true }).output,
        ]
          .map((t) => Buffer.from(t.data().buffer).toString('base64'))
          .join();
      try {
        setNumThreads(1);
        const one = digest();
        setNumThreads(3);
        expect(digest()).toBe(one);
      } finally {
        setNumThreads(threads);
      }
    }));
});
