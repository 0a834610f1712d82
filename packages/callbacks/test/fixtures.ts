import { readFileSync } from 'node:fs';

interface OneCycleCase {
  args: {
    n_batches: number;
    n_epochs: number;
    lr_max: number | number[];
    moms?: [number, number];
    div_factor?: number;
    pct_start?: number;
    final_div?: number;
    tot_epochs?: number;
    start_epoch?: number;
  };
  expected: { lrs: (number | number[])[]; moms: number[]; a1: number };
}

export interface Fixtures {
  one_cycle: Record<string, OneCycleCase>;
  smoothen: { beta: number; values: number[]; expected: number[] };
  format6: [number | string, string][];
  format_time: [number, string][];
}

/** Written by test/fixtures/gen_callbacks.py (fastai v1's formulas, numpy/torch arithmetic). */
export const fixtures: Fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/callbacks.json', import.meta.url), 'utf8'),
) as Fixtures;
