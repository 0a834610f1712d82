import { describe, expect, it } from 'vitest';
import { DTypeError, reluBackward, ShapeError, tensor, zeros } from '../src/index';
import { expectMatches, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

interface Case {
  name: string;
  output: FixtureTensor;
  grad: FixtureTensor;
  expected: FixtureTensor;
}

const fixture = loadFixture<Case>('relu_backward');

describe('reluBackward equals PyTorch bit for bit', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const y = fromFixture(c.output);
    const g = fromFixture(c.grad);
    expectMatches(reluBackward(g, y), c.expected);
    // A transposed (non-contiguous) view of both gives the transposed result.
    if (y.ndim === 2) expectMatches(reluBackward(g.T.contiguous().T, y.T.contiguous().T), c.expected);
  });

  it('refuses mismatched dtypes and shapes, naming the op', () => {
    expect(() => reluBackward(zeros([3]), zeros([3], { dtype: 'float16' }))).toThrow(DTypeError);
    expect(() => reluBackward(zeros([3]), zeros([4]))).toThrow(ShapeError);
    expect(() => reluBackward(tensor([1], { dtype: 'int32' }), tensor([1], { dtype: 'int32' }))).toThrow(
      /relu_backward/,
    );
  });
});
