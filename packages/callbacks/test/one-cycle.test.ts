import { describe, expect, it } from 'vitest';
import {
  annealingCos,
  annealingExp,
  annealingLinear,
  annealingNo,
  annealingPoly,
  Callback,
  CallbackError,
  CallbackHandler,
  type LoopState,
  OneCycleScheduler,
  Scheduler,
} from '../src';
import { type FakeLearner, fakeLearner, fit } from './fake-loop';
import { fixtures } from './fixtures';

/** Logs opt.lr / opt.mom at each training batch begin, like Recorder. */
class LrLog extends Callback {
  lrs: (number | number[])[] = [];
  moms: number[] = [];
  constructor(readonly learn: FakeLearner) {
    super();
    this.order = -10;
  }
  override onBatchBegin(s: LoopState): void {
    if (!s.train) return;
    const lrs = this.learn.opt.lrs;
    this.lrs.push(lrs.length === 1 ? lrs[0]! : [...lrs]);
    this.moms.push(this.learn.opt.mom);
  }
}

function run(name: string) {
  const c = fixtures.one_cycle[name]!;
  const a = c.args;
  const learn = fakeLearner(
    Array.from({ length: a.n_batches }, () => 0.5),
    null,
  );
  if (Array.isArray(a.lr_max)) learn.opt.lrs = a.lr_max.map(() => 0);
  const sched = new OneCycleScheduler(learn, a.lr_max, {
    moms: a.moms,
    divFactor: a.div_factor,
    pctStart: a.pct_start,
    finalDiv: a.final_div,
    totEpochs: a.tot_epochs,
    startEpoch: a.start_epoch,
  });
  const log = new LrLog(learn);
  fit(a.n_epochs, learn, new CallbackHandler([sched, log]));
  return { c, log, sched };
}

/**
 * Equal up to a few rounding errors of the schedule's scale: numpy's SIMD cos and V8's Math.cos differ in
 * the last bit for many arguments, and annealing_cos scales that error by (start − end).
 */
function expectClose(actual: (number | number[])[], expected: (number | number[])[]) {
  expect(actual.length).toBe(expected.length);
  const flat = (v: (number | number[])[]) => v.flatMap((x) => (Array.isArray(x) ? x : [x]));
  const a = flat(actual);
  const e = flat(expected);
  expect(a.length).toBe(e.length);
  const scale = Math.max(...e.map(Math.abs));
  const worst = Math.max(0, ...a.map((x, i) => Math.abs(x - e[i]!)));
  expect(worst).toBeLessThanOrEqual(4 * Number.EPSILON * scale);
}

describe('OneCycleScheduler against fastai formulas', () => {
  it('MNIST_SAMPLE fit_one_cycle(1): n = 193, a1 = 57 (spec §5.2 worked example)', () => {
    const { c, log } = run('mnist_1_epoch');
    expect(c.expected.a1).toBe(57);
    expect(log.lrs).toHaveLength(193);
    expect(log.lrs[0]).toBe(3e-3 / 25);
    expect(log.lrs[0]).toBe(1.2e-4); // 0.003 / 25 is exactly the double nearest 1.2e-4
    expect(log.lrs[57]).toBe(3e-3);
    expect(log.moms[0]).toBe(0.95);
    expect(log.moms[57]).toBe(0.85);
    // batch k ≤ 57 follows cos(1.2e-4, 3e-3, k/57); batch 57+j follows cos(3e-3, 1.2e-8, j/136)
    for (const k of [1, 20, 56]) {
      const p = k / 57;
      expect(log.lrs[k]).toBe(3e-3 + ((3e-3 / 25 - 3e-3) / 2) * (Math.cos(Math.PI * p) + 1));
    }
    for (const j of [1, 68, 135]) {
      const p = j / 136;
      expect(log.lrs[57 + j]).toBe(3e-3 / 2.5e5 + ((3e-3 - 3e-3 / 2.5e5) / 2) * (Math.cos(Math.PI * p) + 1));
    }
    // the lr rises monotonically to the peak and then falls
    const lrs = log.lrs as number[];
    for (let i = 1; i <= 57; i++) expect(lrs[i]!).toBeGreaterThan(lrs[i - 1]!);
    for (let i = 58; i < 193; i++) expect(lrs[i]!).toBeLessThan(lrs[i - 1]!);
    expectClose(log.lrs, c.expected.lrs);
    expectClose(log.moms, c.expected.moms);
  });

  for (const name of ['three_epochs', 'groups', 'tot_epochs_start_epoch', 'stops_early', 'tiny']) {
    it(`matches fastai: ${name}`, () => {
      const { c, log } = run(name);
      expectClose(log.lrs, c.expected.lrs);
      expectClose(log.moms, c.expected.moms);
    });
  }

  it('sets the start values on the optimizer at train begin', () => {
    const learn = fakeLearner([0.5, 0.5], null);
    const h = new CallbackHandler([new OneCycleScheduler(learn, 0.01, { moms: 0.9 })]);
    h.onTrainBegin(1);
    expect(learn.opt.lr).toBe(0.01 / 25);
    expect(learn.opt.mom).toBe(0.9);
  });

  it('stops training once both phases are done', () => {
    const { log } = run('stops_early');
    expect(log.lrs).toHaveLength(11); // 2 epochs of 5 batches, then one more batch that returns stop
  });

  it('refuses bad arguments and a missing optimizer', () => {
    const learn = fakeLearner([0.5], null);
    expect(() => new OneCycleScheduler(learn, -1)).toThrow(CallbackError);
    expect(() => new OneCycleScheduler(learn, 1e-3, { pctStart: 2 })).toThrow(/pctStart/);
    const noOpt = { ...learn, opt: null };
    expect(() => new CallbackHandler([new OneCycleScheduler(noOpt, 1e-3)]).onTrainBegin(1)).toThrow(
      /no optimizer/,
    );
  });
});

describe('annealing functions and Scheduler (fastai callback.py)', () => {
  it('computes the fastai formulas', () => {
    expect(annealingNo(2, 5, 0.3)).toBe(2);
    expect(annealingLinear(2, 5, 0.5)).toBe(3.5);
    expect(annealingExp(1, 100, 0.5)).toBeCloseTo(10, 12);
    expect(annealingCos(2, 5, 0)).toBe(2);
    expect(annealingCos(2, 5, 1)).toBe(5);
    expect(annealingCos(2, 5, 0.5)).toBeCloseTo(3.5, 12);
    expect(annealingPoly(2)(2, 5, 0.5)).toBe(5 - 3 * 0.25);
    expect(annealingLinear([0, 10], [1, 20], 0.5)).toEqual([0.5, 15]);
    expect(annealingCos(1, [2, 4], 1)).toEqual([2, 4]);
    expect(() => annealingLinear([0, 1], [1, 2, 3], 0.5)).toThrow(CallbackError);
  });

  it('steps n/nIter, defaults to linear for a pair and constant for one value', () => {
    const s = new Scheduler({ start: 0, end: 1 }, 4);
    expect([s.step(), s.step(), s.isDone, s.step(), s.step(), s.isDone]).toEqual([
      0.25,
      0.5,
      false,
      0.75,
      1,
      true,
    ]);
    const c = new Scheduler({ start: 3 }, 0);
    expect(c.nIter).toBe(1);
    expect(c.step()).toBe(3);
    expect(c.isDone).toBe(true);
    c.restart();
    expect(c.n).toBe(0);
    expect(() => new Scheduler({ start: 0 }, 1.5)).toThrow(CallbackError);
  });
});
