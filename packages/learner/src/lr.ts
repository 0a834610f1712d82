import { LearnerError } from './errors';

/**
 * Python's `slice(stop)` / `slice(start, stop)` as fastai uses it for discriminative learning rates:
 * `slice(stop)` gives stop/10 to every layer group but the last, which gets stop; `slice(start, stop)`
 * spreads the layer groups geometrically from start to stop.
 */
export interface LrSlice {
  readonly start?: number;
  readonly stop: number;
}

export function slice(stop: number): LrSlice;
export function slice(start: number, stop: number): LrSlice;
export function slice(a: number, b?: number): LrSlice {
  return b === undefined ? { stop: a } : { start: a, stop: b };
}

/** A learning rate: one for every layer group, one per layer group, or a slice. */
export type Lr = number | readonly number[] | LrSlice;

/** fastai's `defaults.lr`: slice(3e-3), i.e. 3e-3 for a single layer group. */
export const DEFAULT_LR: Lr = Object.freeze(slice(3e-3));

function checkValue(op: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new LearnerError(op, 'a finite number >= 0', v, what);
  }
  return v;
}

/** fastai's `Learner.lr_range`: the learning rate of each of `n` layer groups. */
export function lrRange(op: string, lr: Lr, n: number): number[] {
  if (typeof lr === 'number') return new Array<number>(n).fill(checkValue(op, lr, 'lr'));
  if (Array.isArray(lr)) {
    if (lr.length !== n) {
      throw new LearnerError(op, `${n} learning rates (one per layer group)`, `${lr.length}`, 'lr');
    }
    return lr.map((v, i) => checkValue(op, v, `lr[${i}]`));
  }
  if (typeof lr !== 'object' || lr === null || !('stop' in lr)) {
    throw new LearnerError(op, 'a number, one number per layer group, or slice(...)', lr, 'lr');
  }
  const s = lr as LrSlice;
  const stop = checkValue(op, s.stop, 'lr.stop');
  if (s.start === undefined) return [...new Array<number>(n - 1).fill(stop / 10), stop];
  const start = checkValue(op, s.start, 'lr.start');
  if (n === 1) return [stop]; // the last (only) group gets stop; fastai divides by zero here
  // fastai's even_mults: start * (stop / start) ** (i / (n - 1)), built the way numpy does.
  const step = (stop / start) ** (1 / (n - 1));
  return Array.from({ length: n }, (_, i) => start * step ** i);
}
