import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  AxisError,
  arange,
  BroadcastError,
  type MantissaError,
  memory,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
} from '../src/index';
import { expectMatches, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

type Op =
  | ['reshape' | 'view' | 'permute' | 'expand', number[]]
  | ['transpose', number, number]
  | ['slice', number, number, number | null, number]
  | ['narrow', number, number, number]
  | ['squeeze', number?]
  | ['unsqueeze', number]
  | ['flatten' | 'contiguous' | 'T'];

interface ViewCase {
  name: string;
  base: FixtureTensor;
  ops: Op[];
  error?: { at: number; type: string; message: string };
  out?: FixtureTensor;
  stride?: number[];
  offset?: number;
  shares?: boolean | null;
}

function apply(x: Tensor, op: Op): Tensor {
  switch (op[0]) {
    case 'reshape':
      return x.reshape(op[1]);
    case 'view':
      return x.view(op[1]);
    case 'permute':
      return x.permute(op[1]);
    case 'expand':
      return x.expand(op[1]);
    case 'transpose':
      return x.transpose(op[1], op[2]);
    case 'slice':
      return x.slice(op[1], op[2], op[3] ?? undefined, op[4]);
    case 'narrow':
      return x.narrow(op[1], op[2], op[3]);
    case 'squeeze':
      return op.length > 1 ? x.squeeze(op[1]) : x.squeeze();
    case 'unsqueeze':
      return x.unsqueeze(op[1]);
    case 'flatten':
      return x.flatten();
    case 'contiguous':
      return x.contiguous();
    case 'T':
      return x.T;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any constructor signature
type ErrorClass = new (...args: any[]) => MantissaError;

/** The Mantissa error class that corresponds to each PyTorch failure in the fixture. */
function expectedError(x: Tensor, op: Op, torchType: string, message: string): ErrorClass {
  if (torchType === 'ValueError') return ArgumentError; // slice step <= 0
  if (/cannot be applied to a 0-dim tensor|slice step must be positive/.test(message)) {
    return /step/.test(message) ? ArgumentError : ShapeError;
  }
  if (/Dimension out of range/.test(message)) {
    // PyTorch reports narrow's out-of-range *start* with the same message as a bad dim.
    return op[0] === 'narrow' && op[1] >= -x.ndim && op[1] < x.ndim ? ArgumentError : AxisError;
  }
  if (
    /invalid shape dimension|only one dimension can be inferred|exceeds dimension size|length must be non-negative/.test(
      message,
    )
  ) {
    return ArgumentError;
  }
  if (/must match the existing size/.test(message)) return BroadcastError;
  if (
    /view size is not compatible|is invalid for input of size|expanded size|number of dimensions|duplicate dims|number of sizes provided|ambiguous/.test(
      message,
    )
  ) {
    return ShapeError;
  }
  throw new Error(`no Mantissa error mapped for PyTorch's ${torchType}: ${message}`);
}

const fixture = loadFixture<ViewCase>('views');

describe('views match PyTorch (shape, strides, offset, values, storage sharing)', () => {
  it('covers every dtype, 0-d, empty, errors and random chains', () => {
    const dtypes = new Set(fixture.cases.map((c) => c.base.dtype));
    expect([...dtypes].sort()).toEqual(['bfloat16', 'bool', 'float16', 'float32', 'float64', 'int32']);
    expect(fixture.cases.some((c) => c.base.shape.length === 0)).toBe(true);
    expect(fixture.cases.some((c) => c.base.shape.includes(0))).toBe(true);
    expect(fixture.cases.filter((c) => c.error).length).toBeGreaterThan(50);
    expect(fixture.cases.filter((c) => c.shares === false).length).toBeGreaterThan(10);
  });

  for (const c of fixture.cases) {
    it(c.name, () => {
      const before = memory();
      tidy(() => {
        const base = fromFixture(c.base);
        let x = base;
        for (let i = 0; i < c.ops.length; i++) {
          const op = c.ops[i]!;
          if (c.error?.at === i) {
            let thrown: unknown;
            try {
              apply(x, op);
            } catch (e) {
              thrown = e;
            }
            const want = expectedError(x, op, c.error.type, c.error.message);
            expect(thrown, `PyTorch: ${c.error.message}`).toBeInstanceOf(want);
            const opName = op[0] === 'T' ? 'transpose' : op[0] === 'flatten' ? 'reshape' : op[0];
            expect((thrown as MantissaError).op).toBe(opName);
            expect((thrown as Error).message.startsWith(`${opName}: `)).toBe(true);
            return;
          }
          x = apply(x, op);
        }
        expect(c.error, 'PyTorch raised here but Mantissa did not').toBeUndefined();
        expectMatches(x, c.out!, {}, c.name);
        expect(x.strides).toEqual(c.stride);
        if (x.numel > 0) expect(x.offset).toBe(c.offset);
        if (c.shares !== null)
          expect(x.storage.id === base.storage.id, 'shares storage with the base').toBe(c.shares);
      });
      expect(memory()).toEqual(before);
    });
  }
});

describe('views and copies', () => {
  it('a view writes through to its base; a copy does not', () => {
    tidy(() => {
      const base = arange(6).reshape([2, 3]);
      base.T.slice(0, 1, 2).fill_(-1); // column 1 of base
      expect(base.toArray()).toEqual([
        [0, -1, 2],
        [3, -1, 5],
      ]);
      const copy = base.T.reshape([6]);
      expect(copy.storage.id).not.toBe(base.storage.id);
      copy.fill_(7);
      expect(base.toArray()).toEqual([
        [0, -1, 2],
        [3, -1, 5],
      ]);
    });
  });

  it('flatten, T and item on views of every kind of layout', () => {
    tidy(() => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(x.T.flatten().toArray()).toEqual([1, 4, 2, 5, 3, 6]);
      expect(x.slice(1, 2).slice(0, 1).squeeze().item()).toBe(6);
      expect(x.expand([2, 2, 3]).contiguous().toArray()).toEqual([
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ]);
    });
  });

  it('view rejects a non-viewable layout with a ShapeError naming both shapes', () => {
    tidy(() => {
      const x = arange(12).reshape([3, 4]).T;
      let err: unknown;
      try {
        x.view([12]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ShapeError);
      expect((err as ShapeError).op).toBe('view');
      expect((err as Error).message).toMatch(/^view: expected .*stride.*, got \[12\]$/);
    });
  });

  it('limits dims to 8 (the kernel ABI maximum)', () => {
    tidy(() => {
      const x = tensor(1).reshape([1, 1, 1, 1, 1, 1, 1, 1]);
      expect(() => x.unsqueeze(0)).toThrow(ShapeError);
      expect(() => x.reshape([1, 1, 1, 1, 1, 1, 1, 1, 1])).toThrow(ArgumentError);
      expect(() => x.expand([1, 1, 1, 1, 1, 1, 1, 1, 1])).toThrow(ShapeError);
    });
  });
});
