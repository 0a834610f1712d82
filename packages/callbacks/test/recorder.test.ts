import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@mantissa/tensor';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CallbackError, CallbackHandler, OneCycleScheduler, Recorder } from '../src';
import { fakeLearner, fit } from './fake-loop';
import { parseXml } from './xml';

const accuracy = Object.assign((out: Tensor) => out.narrow(1, 1, 1).mean(), { metricName: 'accuracy' });

/** A clock that advances 31.5 s at every reading. */
function fakeClock(): () => number {
  let t = 0;
  return () => (t += 31_500);
}

function trained(epochs = 2) {
  const learn = fakeLearner([0.5, 0.25, 0.75], [0.5, 0.125]);
  const lines: string[] = [];
  const rec = new Recorder(learn, { writer: (l) => lines.push(l), now: fakeClock() });
  const sched = new OneCycleScheduler(learn, 0.01);
  fit(epochs, learn, new CallbackHandler([sched, rec], [accuracy]));
  return { learn, rec, lines };
}

describe('Recorder', () => {
  it("prints fastai's table: header at train begin, one row per epoch", () => {
    const { lines } = trained();
    expect(lines).toEqual([
      'epoch     train_loss  valid_loss  accuracy  time    ',
      '0         0.501700    0.312500    0.687500  00:31     ',
      '1         0.501701    0.312500    0.687500  00:31     ',
    ]);
  });

  it('records lrs, moms, smoothed losses, validation losses, metrics and batches per epoch', () => {
    const { rec } = trained();
    expect(rec.order).toBe(-10);
    expect(rec.names).toEqual(['epoch', 'train_loss', 'valid_loss', 'accuracy', 'time']);
    expect(rec.lrs).toHaveLength(6);
    expect(rec.lrs[0]).toBe(0.01 / 25); // OneCycle's start value, read at batch begin
    expect(rec.moms[0]).toBe(0.95);
    expect(rec.losses.map((v) => v.toFixed(6))).toEqual([
      '0.500000',
      '0.373737',
      '0.501700',
      '0.501262',
      '0.448959',
      '0.501701',
    ]);
    expect(rec.valLosses).toEqual([0.3125, 0.3125]);
    expect(rec.validLosses).toBe(rec.valLosses);
    expect(rec.metrics).toEqual([[0.6875], [0.6875]]);
    expect(rec.nbBatches).toEqual([3, 3]);
  });

  it("prints '#na#' without validation, nothing when silent, no time column without addTime", () => {
    const learn = fakeLearner([0.5], null);
    const lines: string[] = [];
    fit(
      1,
      learn,
      new CallbackHandler([new Recorder(learn, { writer: (l) => lines.push(l), addTime: false })]),
    );
    expect(lines).toEqual(['epoch     train_loss  valid_loss', '0         0.500000    #na#        ']);
    const quiet: string[] = [];
    fit(1, learn, new CallbackHandler([new Recorder(learn, { writer: (l) => quiet.push(l), silent: true })]));
    expect(quiet).toEqual([]);
  });

  it('adds metric names another callback fills', () => {
    const learn = fakeLearner([0.5], [0.5]);
    const lines: string[] = [];
    const rec = new Recorder(learn, { writer: (l) => lines.push(l), addTime: false });
    rec.addMetricNames(['f1_score']);
    fit(1, learn, new CallbackHandler([rec], [accuracy]));
    expect(lines[0]).toBe('epoch     train_loss  valid_loss  accuracy  f1_score');
  });
});

describe('Recorder plots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mantissa-callbacks-'));

  it('writes valid SVG for the losses and the lr (with moms)', () => {
    const { rec } = trained(3);
    const file = join(dir, 'sub', 'losses.svg');
    rec.plotLosses(file);
    const doc = parseXml(readFileSync(file, 'utf8'));
    expect(doc.name).toBe('svg');
    expect(doc.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const polylines = doc.findAll('polyline');
    expect(polylines).toHaveLength(2); // train and validation
    expect(polylines[0]!.attrs.points!.trim().split(/\s+/)).toHaveLength(9);
    expect(polylines[1]!.attrs.points!.trim().split(/\s+/)).toHaveLength(3);
    expect(doc.text()).toContain('Batches processed');

    const lrFile = join(dir, 'lr.svg');
    rec.plotLr(lrFile, { showMoms: true });
    const lr = parseXml(readFileSync(lrFile, 'utf8'));
    expect(lr.attrs.width).toBe('1280');
    expect(lr.findAll('polyline')).toHaveLength(2);
    expect(lr.text()).toContain('Momentum');
  });

  it('skipStart/skipEnd drop points as fastai does', () => {
    const { rec } = trained(3);
    const file = join(dir, 'skip.svg');
    rec.plotLosses(file, { skipStart: 2, skipEnd: 1 });
    const p = parseXml(readFileSync(file, 'utf8')).findAll('polyline');
    expect(p[0]!.attrs.points!.trim().split(/\s+/)).toHaveLength(6);
    // validation at batches 3, 6, 9: 9 is past the end (9 − 9 − 1 < 0)
    expect(p[1]!.attrs.points!.trim().split(/\s+/)).toHaveLength(2);
  });

  it('writes a PNG that decodes with the expected size and drawn pixels', () => {
    const { rec } = trained(3);
    const file = join(dir, 'losses.png');
    rec.plotLosses(file);
    const png = pngjs.PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([640, 480]);
    let white = 0;
    let blue = 0;
    let orange = 0;
    let opaque = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b, a] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!, png.data[i + 3]!];
      if (a === 255) opaque++;
      if (r === 255 && g === 255 && b === 255) white++;
      if (r === 0x1f && g === 0x77 && b === 0xb4) blue++;
      if (r === 0xff && g === 0x7f && b === 0x0e) orange++;
    }
    expect(opaque).toBe(640 * 480);
    expect(blue).toBeGreaterThan(100);
    expect(orange).toBeGreaterThan(100);
    expect(white).toBeGreaterThan(640 * 480 * 0.9);

    rec.plotLr(join(dir, 'lr.png'), { showMoms: true });
    const lr = pngjs.PNG.sync.read(readFileSync(join(dir, 'lr.png')));
    expect([lr.width, lr.height]).toEqual([1280, 480]);
  });

  it('the test XML parser rejects malformed documents', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/mismatched/);
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/bare/);
    expect(() => parseXml('<svg x=1/>')).toThrow(/bad start tag/);
    expect(() => parseXml('<svg/><svg/>')).toThrow(/two root/);
    expect(parseXml('<svg a="&lt;"><t>x &amp; y</t></svg>').text()).toBe('x & y');
  });

  it('refuses an unknown extension', () => {
    const { rec } = trained(1);
    expect(() => rec.plotLr(join(dir, 'lr.jpg'))).toThrow(CallbackError);
    expect(() => rec.plotLr(join(dir, 'lr.jpg'))).toThrow(/'.svg' or '.png'/);
  });

  it('plots an empty recorder (axes only) without failing', () => {
    const learn = fakeLearner([0.5], null);
    const rec = new Recorder(learn, { silent: true });
    rec.plotLosses(join(dir, 'empty.svg'));
    rec.plotLosses(join(dir, 'empty.png'));
    expect(parseXml(readFileSync(join(dir, 'empty.svg'), 'utf8')).findAll('polyline')).toHaveLength(0);
  });
});
