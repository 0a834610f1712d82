import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Callback, CallbackHandler, CSVLogger, ProgressBar, Recorder } from '../src';
import { fakeLearner, fit } from './fake-loop';

/** A manual clock: a callback that runs first advances it by `step` ms at every batch end. */
class Tick extends Callback {
  t = 0;
  constructor(readonly step: number) {
    super();
    this.order = -100;
  }
  override onBatchEnd(): void {
    this.t += this.step;
  }
  now = () => this.t;
}

describe('ProgressBar', () => {
  function run(opts: { isTTY: boolean; enabled?: boolean }) {
    const out: string[] = [];
    const learn = fakeLearner(
      Array.from({ length: 10 }, () => 0.5),
      [0.5, 0.5],
    );
    const tick = new Tick(40);
    const stream = { isTTY: opts.isTTY, write: (s: string) => out.push(`err:${s}`) };
    const bar = new ProgressBar(learn, { stream, now: tick.now, enabled: opts.enabled });
    const rec = new Recorder(learn, { writer: (l) => out.push(`out:${l}`), addTime: false });
    fit(1, learn, new CallbackHandler([rec, bar, tick]));
    return out;
  }

  it('redraws at most every 100 ms, always at the end of a phase, and clears before the table row', () => {
    const out = run({ isTTY: true });
    const bars = out
      .filter((l) => l.startsWith('err:') && l.length > 12)
      .map((l) => l.slice(4).replace('\r\x1b[K', ''));
    // train: forced at start (t=0), then t=120, 240, 360, and the forced last batch at t=400; valid: start and end
    expect(bars.map((b) => /\[(\d+)\/(\d+)/.exec(b)!.slice(1).join('/'))).toEqual([
      '0/10',
      '3/10',
      '6/10',
      '9/10',
      '10/10',
      '0/2',
      '2/2',
    ]);
    expect(bars[4]).toBe(`epoch 1/1 train |${'█'.repeat(50)}| 100.00% [10/10 00:00<00:00 0.5000]`);
    expect(bars[1]).toBe(
      `epoch 1/1 train |${'█'.repeat(15)}${'-'.repeat(35)}| 30.00% [3/10 00:00<00:00 0.5000]`,
    );
    expect(bars[5]).toMatch(/^epoch 1\/1 valid \|-{50}\| 0.00% \[0\/2 00:00<00:00\]$/);
    // the line is cleared before the Recorder prints the epoch's row
    const clear = out.indexOf('err:\r\x1b[K');
    const row = out.findIndex((l) => l.startsWith('out:0 '));
    expect(clear).toBeGreaterThan(0);
    expect(clear).toBeLessThan(row);
  });

  it('is silent when stderr is not a TTY or when disabled', () => {
    expect(run({ isTTY: false }).filter((l) => l.startsWith('err:'))).toEqual([]);
    expect(run({ isTTY: true, enabled: false }).filter((l) => l.startsWith('err:'))).toEqual([]);
  });
});

describe('CSVLogger', () => {
  const accuracy = Object.assign((out: Tensor) => out.narrow(1, 1, 1).mean(), { metricName: 'accuracy' });

  it("writes fastai's table to <path>/history.csv", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mantissa-csv-')), 'run');
    const learn = fakeLearner([0.5, 0.25, 0.75], [0.5, 0.125], dir);
    const tick = new Tick(1000);
    const csv = new CSVLogger(learn, { now: tick.now });
    fit(2, learn, new CallbackHandler([csv, tick], [accuracy]));
    expect(csv.path).toBe(join(dir, 'history.csv'));
    expect(readFileSync(csv.path, 'utf8')).toBe(
      [
        'epoch,train_loss,valid_loss,accuracy,time',
        '0,0.501700,0.312500,0.687500,00:05',
        '1,0.501701,0.312500,0.687500,00:05',
        '',
      ].join('\n'),
    );
    expect(csv.readLoggedFile()[1]).toEqual(['0', '0.501700', '0.312500', '0.687500', '00:05']);
  });

  it('replaces the file by default and appends with append: true (a header per fit, as fastai)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mantissa-csv-'));
    writeFileSync(join(dir, 'log.csv'), 'old\n');
    const learn = fakeLearner([0.5], null, dir);
    fit(1, learn, new CallbackHandler([new CSVLogger(learn, { filename: 'log', now: () => 0 })]));
    const once = readFileSync(join(dir, 'log.csv'), 'utf8');
    expect(once).toBe('epoch,train_loss,valid_loss,time\n0,0.500000,#na#,00:00\n');
    fit(
      1,
      learn,
      new CallbackHandler([new CSVLogger(learn, { filename: 'log', append: true, now: () => 0 })]),
    );
    expect(readFileSync(join(dir, 'log.csv'), 'utf8')).toBe(once + once);
  });
});
