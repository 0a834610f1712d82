import { describe, expect, it } from 'vitest';
import { formatFixed, formatStat, formatTime, SmoothenValue, tableHeader, tableRow } from '../src';
import { fixtures } from './fixtures';

describe("Python's f'{x:.6f}' and fastprogress's format_time", () => {
  it('formats like Python, ties to even included', () => {
    const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
    const num = (v: number | string) => (typeof v === 'number' ? v : special[v]!);
    for (const [v, s] of fixtures.format6) expect([v, formatFixed(num(v))]).toEqual([v, s]);
    expect(formatFixed(0.0078125)).toBe('0.007812'); // toFixed gives 0.007813
    expect(formatFixed(-0)).toBe('-0.000000');
  });

  it('formats times as mm:ss or h:mm:ss', () => {
    for (const [t, s] of fixtures.format_time) expect([t, formatTime(t)]).toEqual([t, s]);
  });

  it("formats a stat as Recorder.format_stats: '#na#', int, .6f", () => {
    expect(formatStat(null)).toBe('#na#');
    expect(formatStat(3, true)).toBe('3');
    expect(formatStat(3)).toBe('3.000000');
  });
});

describe('the console table (fastprogress ConsoleMasterBar.write)', () => {
  it('pads the header to 8 and each cell to its column plus two', () => {
    const names = ['epoch', 'train_loss', 'valid_loss', 'accuracy', 'time'];
    expect(tableHeader(names)).toBe('epoch     train_loss  valid_loss  accuracy  time    ');
    expect(tableRow(names, ['0', '0.126117', '0.117945', '0.956820', '00:03'])).toBe(
      '0         0.126117    0.117945    0.956820  00:03     ',
    );
  });
});

describe('SmoothenValue', () => {
  it("matches fastai's float32 tensor arithmetic bit for bit", () => {
    const { beta, values, expected } = fixtures.smoothen;
    const s = new SmoothenValue(beta);
    const got = values.map((v) => {
      s.addValue(v);
      return s.smooth;
    });
    expect(got).toEqual(expected);
  });

  it('is debiased: a constant input gives the constant from the first value', () => {
    const s = new SmoothenValue(0.98);
    s.addValue(0.5);
    expect(s.smooth).toBe(0.5);
    s.addValue(0.5);
    expect(s.smooth).toBeCloseTo(0.5, 7);
    expect(s.n).toBe(2);
  });
});
