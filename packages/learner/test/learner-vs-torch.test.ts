import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Callback, type LoopState } from '@mantissa/callbacks';
import { DataBunch, DataLoader, TensorDataset } from '@mantissa/data';
import { Linear, ReLU, Sequential } from '@mantissa/nn';
import { tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Learner } from '../src';

// fastai v1's arithmetic replicated in PyTorch 1.13 by fixtures/gen_learner_steps.py: the parameters
// after every step of a few fits of a tiny model from fixed weights over fixed batches.
interface Step {
  loss: number;
  params: Record<string, number[]>;
}
interface Case {
  epochs: number;
  lr: number;
  wd: number;
  trueWd: boolean;
  bnWd: boolean;
  oneCycle: boolean;
  lrs: number[];
  moms: number[];
  steps: Step[];
  valid: number[];
}
interface Fixture {
  bs: number;
  weights: Record<string, { shape: number[]; values: number[] }>;
  xt: number[];
  yt: number[];
  xv: number[];
  yv: number[];
  cases: Record<string, Case>;
}
const fx = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'learner_steps.json'), 'utf8')) as Fixture;

function learner(c: Case): Learner {
  const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
  tidy(() => {
    model.loadStateDict(
      Object.fromEntries(
        Object.entries(fx.weights).map(([k, w]) => [
          k,
          tensor(Float32Array.from(w.values), { shape: w.shape }),
        ]),
      ),
    );
  });
  const [xt, yt, xv, yv] = tidy(() => [
    tensor(Float32Array.from(fx.xt), { shape: [fx.yt.length, 4] }),
    tensor(Int32Array.from(fx.yt)),
    tensor(Float32Array.from(fx.xv), { shape: [fx.yv.length, 4] }),
    tensor(Int32Array.from(fx.yv)),
  ]);
  const data = new DataBunch(
    new DataLoader(new TensorDataset(xt!, yt!), { batchSize: fx.bs, dropLast: true }),
    new DataLoader(new TensorDataset(xv!, yv!), { batchSize: fx.bs }),
  );
  for (const t of [xt, yt, xv, yv]) t!.dispose();
  return new Learner(data, model, { wd: c.wd, trueWd: c.trueWd, bnWd: c.bnWd, silent: true });
}

/** What the loop did at every step: lr and momentum used, loss, and the parameters after the step. */
class Steps extends Callback {
  lrs: number[] = [];
  moms: number[] = [];
  losses: number[] = [];
  params: Record<string, number[]>[] = [];
  valid: (number | null)[] = [];

  constructor(readonly learn: Learner) {
    super();
  }
  override onBatchBegin(s: LoopState): void {
    if (!s.train) return;
    this.lrs.push(this.learn.opt!.lr);
    this.moms.push(this.learn.opt!.mom);
  }
  override onBackwardBegin(s: LoopState): void {
    this.losses.push(Number(s.lastLoss!.item()));
  }
  override onStepEnd(): void {
    const sd = this.learn.model.stateDict();
    this.params.push(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, Array.from(t.data())])));
    for (const t of Object.values(sd)) t.dispose();
  }
  override onEpochEnd(s: LoopState): void {
    this.valid.push(s.lastMetrics[0]!);
  }
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

describe('optimizer steps through the Learner equal fastai v1 in PyTorch', () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(`${name}: ${c.steps.length} steps, lr ${c.lr}, wd ${c.wd}, trueWd ${c.trueWd}, bnWd ${c.bnWd}`, async () => {
      const learn = learner(c);
      const steps = new Steps(learn);
      if (c.oneCycle) await learn.fitOneCycle(c.epochs, c.lr, { callbacks: [steps] });
      else await learn.fit(c.epochs, c.lr, { callbacks: [steps] });
      expect(steps.params).toHaveLength(c.steps.length);
      // The schedule is the same arithmetic: equal to the last bit.
      expect(steps.lrs).toEqual(c.lrs);
      expect(steps.moms).toEqual(c.moms);
      c.steps.forEach((ref, i) => {
        expect(Math.abs(steps.losses[i]! - ref.loss)).toBeLessThan(2e-7);
        for (const [k, values] of Object.entries(ref.params)) {
          // Matmul summation order differs from OpenBLAS's by an ulp or so; Adam's update is
          // normalised, so that stays an ulp-level difference in the weights.
          expect(maxAbsDiff(steps.params[i]![k]!, values), `step ${i} ${k}`).toBeLessThan(2e-7);
        }
      });
      c.valid.forEach((v, i) => {
        expect(Math.abs(steps.valid[i]! - v)).toBeLessThan(2e-7);
      });
    });
  }
});
