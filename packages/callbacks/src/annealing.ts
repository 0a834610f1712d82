import { CallbackArgumentError } from './errors';

/** A value, or one value per layer group (fastai passed numpy arrays). */
export type Hyper = number | readonly number[];
export type AnnealFunc = (start: Hyper, end: Hyper, pct: number) => Hyper;

function zip(start: Hyper, end: Hyper, f: (s: number, e: number) => number): Hyper {
  if (typeof start === 'number' && typeof end === 'number') return f(start, end);
  const n = typeof start === 'number' ? (end as readonly number[]).length : start.length;
  const at = (v: Hyper, i: number) => (typeof v === 'number' ? v : v[i]!);
  if (typeof end !== 'number' && end.length !== n) {
    throw new CallbackArgumentError('annealing', 'end', `${n} values (one per layer group)`, end);
  }
  return Array.from({ length: n }, (_, i) => f(at(start, i), at(end, i)));
}

/** Stays at `start`. */
export const annealingNo: AnnealFunc = (start) => start;
/** `start + pct·(end − start)`. */
export const annealingLinear: AnnealFunc = (start, end, pct) => zip(start, end, (s, e) => s + pct * (e - s));
/** `start·(end/start)^pct`. */
export const annealingExp: AnnealFunc = (start, end, pct) => zip(start, end, (s, e) => s * (e / s) ** pct);
/** `end + (start − end)/2·(cos(π·pct) + 1)`, the same association as fastai's so the values match to the ulp. */
export const annealingCos: AnnealFunc = (start, end, pct) => {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return zip(start, end, (s, e) => e + ((s - e) / 2) * cosOut);
};
/** `end + (start − end)·(1 − pct)^degree`. */
export function annealingPoly(degree: number): AnnealFunc {
  return (start, end, pct) => zip(start, end, (s, e) => e + (s - e) * (1 - pct) ** degree);
}

/**
 * fastai v1's Scheduler: `step()` advances one iteration and returns `func(start, end, n/nIter)`, so the
 * first step is already past the start value. fastai told a (start, end) tuple from a single value by its
 * type; here `{ start, end }` anneals linearly by default and `{ start }` alone stays constant (end 0).
 */
export class Scheduler {
  readonly start: Hyper;
  readonly end: Hyper;
  readonly nIter: number;
  readonly func: AnnealFunc;
  n = 0;

  constructor(vals: { start: Hyper; end?: Hyper }, nIter: number, func?: AnnealFunc) {
    if (!Number.isInteger(nIter)) throw new CallbackArgumentError('Scheduler', 'nIter', 'an integer', nIter);
    this.start = vals.start;
    this.end = vals.end ?? 0;
    this.nIter = Math.max(1, nIter);
    this.func = func ?? (vals.end === undefined ? annealingNo : annealingLinear);
  }

  restart(): void {
    this.n = 0;
  }

  step(): Hyper {
    this.n += 1;
    return this.func(this.start, this.end, this.n / this.nIter);
  }

  get isDone(): boolean {
    return this.n >= this.nIter;
  }
}
