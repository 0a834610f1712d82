import {
  ArgumentError,
  DTYPES,
  DTypeError,
  FLOAT_DTYPES,
  isTensor,
  type Reduction,
  ShapeError,
  type Tensor,
} from '@mantissa/tensor';
import { ClassIndexError } from '../errors';

export type { Reduction };

/** float64 inputs keep float64 (for gradcheck); everything else is computed and returned in float32. */
export type LossDType = 'float32' | 'float64';

export function checkTensor(op: string, name: string, x: unknown): Tensor {
  if (!isTensor(x)) throw new ArgumentError(op, name, 'a Tensor', x);
  return x.assertLive(op);
}

export function checkFloat(op: string, name: string, x: unknown): Tensor {
  const t = checkTensor(op, name, x);
  if (!DTYPES[t.dtype].isFloat) throw new DTypeError(op, FLOAT_DTYPES, `${t.dtype} (${name})`);
  return t;
}

export function checkSameShape(op: string, name: string, x: Tensor, shape: readonly number[]): void {
  if (x.shape.length !== shape.length || x.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(op, shape, x.shape, `${name} shape`);
  }
}

export function checkOptions(op: string, options: unknown): Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(op, 'options', 'an object', options);
  }
  return options as Record<string, unknown>;
}

export function checkReduction(op: string, value: unknown): Reduction {
  const r = value ?? 'mean';
  if (r !== 'none' && r !== 'mean' && r !== 'sum') {
    throw new ArgumentError(op, 'reduction', "'none', 'mean' or 'sum'", r);
  }
  return r;
}

export function checkIgnoreIndex(op: string, value: unknown): number {
  const v = value ?? -100;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31 - 1) {
    throw new ArgumentError(op, 'ignoreIndex', 'an int32 integer', v);
  }
  return v;
}

export function lossDType(...xs: Tensor[]): LossDType {
  return xs.some((x) => x.dtype === 'float64') ? 'float64' : 'float32';
}

/**
 * Runs a loss body that creates intermediate tensors through `tmp`. They are disposed afterwards
 * unless autograd recorded the result (then the graph needs them for backward; the caller's tidy
 * scope frees them). `gradFn` is read without importing autograd: it is undefined when autograd is
 * not installed and null when nothing was recorded.
 */
export function compose(body: (tmp: <T extends Tensor>(t: T) => T) => Tensor): Tensor {
  const temps: Tensor[] = [];
  let out: Tensor;
  try {
    out = body((t) => {
      temps.push(t);
      return t;
    });
  } catch (e) {
    for (const t of temps) t.dispose();
    throw e;
  }
  const gradFn = (out as unknown as { gradFn?: unknown }).gradFn;
  if (gradFn === undefined || gradFn === null) for (const t of temps) if (t !== out) t.dispose();
  return out;
}

/** x in the loss dtype (a new tensor only when a cast is needed). */
export function inLossDType(x: Tensor, dtype: LossDType, tmp: <T extends Tensor>(t: T) => T): Tensor {
  return x.dtype === dtype ? x : tmp(x.to(dtype));
}

/**
 * Class-index targets: int32 with the logits' shape minus the class dim (dim 1, or dim 0 for a
 * single unbatched row). Returns C and the number of non-ignored targets, after checking every
 * target on the host (a bad index would otherwise read outside its row).
 */
export function checkClassTargets(
  op: string,
  input: Tensor,
  inputName: string,
  target: Tensor,
  ignoreIndex: number,
): { numClasses: number; count: number } {
  if (input.ndim < 1) {
    throw new ShapeError(op, '(C), (N, C) or (N, C, d1, ..., dk)', input.shape, `${inputName} shape`);
  }
  if (target.dtype !== 'int32') throw new DTypeError(op, 'int32', `${target.dtype} (target)`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new ShapeError(
      op,
      expected,
      target.shape,
      `target shape (the ${inputName} shape without its class dim ${classDim})`,
    );
  }
  const numClasses = input.shape[classDim]!;
  const values = target.data() as Int32Array;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= numClasses) throw new ClassIndexError(op, i, v, numClasses, ignoreIndex);
    count++;
  }
  return { numClasses, count };
}

/**
 * The (M, C) rows and (M) targets of class-index losses: (C) becomes (1, C); (N, C, d1..dk) moves
 * the class dim last and flattens the rest, as PyTorch's K-dimensional losses do.
 */
export function asRows(
  input: Tensor,
  target: Tensor,
  tmp: <T extends Tensor>(t: T) => T,
): { rows: Tensor; targets: Tensor } {
  if (input.ndim === 2) return { rows: input, targets: target };
  const c = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  const moved =
    input.ndim === 1 ? input : tmp(input.permute([0, ...input.shape.slice(2).map((_, i) => i + 2), 1]));
  return { rows: tmp(moved.reshape([-1, c])), targets: tmp(target.reshape([-1])) };
}
