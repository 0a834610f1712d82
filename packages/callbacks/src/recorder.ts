import { Callback } from './callback';
import { formatStat, formatTime, tableHeader, tableRow } from './format';
import { COLORS, type Panel } from './plot/layout';
import { writePlot } from './plot/write';
import type { LearnerLike, LoopState } from './types';

export interface RecorderOptions {
  /** Add the `time` column (fastai's add_time); default true. */
  addTime?: boolean;
  /** Print nothing (fastai's silent); default false. */
  silent?: boolean;
  /** Where table lines go (without a newline); default stdout. */
  writer?: (line: string) => void;
  /** A clock in milliseconds for the time column; default performance.now. */
  now?: () => number;
}

export interface PlotLossesOptions {
  skipStart?: number;
  skipEnd?: number;
}

/**
 * fastai v1's Recorder (order −10): records the lr and momentum of every training batch, the smoothed
 * training loss, the validation losses and metrics, and prints fastai's table, a header at train begin
 * and one row per epoch (`train_loss` is the smoothed loss after the epoch's last batch).
 */
export class Recorder extends Callback {
  override order = -10;
  readonly addTime: boolean;
  silent: boolean;
  writer: (line: string) => void;
  readonly now: () => number;
  names: string[] = [];
  metricsNames: string[] = [];
  lrs: number[] = [];
  moms: number[] = [];
  /** The smoothed training loss after each training batch. */
  losses: number[] = [];
  valLosses: (number | null)[] = [];
  metrics: (number | null)[][] = [];
  nbBatches: number[] = [];
  #addedMetNames: string[] | null = null;
  #startEpoch = 0;

  constructor(
    readonly learn: LearnerLike,
    opts: RecorderOptions = {},
  ) {
    super();
    this.addTime = opts.addTime ?? true;
    this.silent = opts.silent ?? false;
    this.writer = opts.writer ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = opts.now ?? (() => performance.now());
  }

  /** The contract's name for `valLosses` (fastai's val_losses). */
  get validLosses(): (number | null)[] {
    return this.valLosses;
  }

  /** Extra metric columns that another callback fills (fastai's add_metric_names). */
  addMetricNames(names: readonly string[]): void {
    this.#addedMetNames = [...names];
  }

  override onTrainBegin(s: LoopState): void {
    this.metricsNames = [...s.metricsNames, ...(this.#addedMetNames ?? [])];
    this.names = ['epoch', 'train_loss', 'valid_loss', ...this.metricsNames];
    if (this.addTime) this.names.push('time');
    if (!this.silent) this.writer(tableHeader(this.names));
    this.losses = [];
    this.valLosses = [];
    this.lrs = [];
    this.moms = [];
    this.metrics = [];
    this.nbBatches = [];
  }

  override onEpochBegin(): void {
    if (this.addTime) this.#startEpoch = this.now();
  }

  override onBatchBegin(s: LoopState): void {
    if (!s.train) return;
    const opt = this.learn.opt;
    if (opt === null) return;
    this.lrs.push(opt.lr);
    this.moms.push(opt.mom);
  }

  override onBackwardBegin(s: LoopState): void {
    if (s.smoothLoss !== null) this.losses.push(s.smoothLoss);
  }

  override onEpochEnd(s: LoopState): void {
    this.nbBatches.push(s.numBatch);
    const lastMetrics = s.lastMetrics;
    this.valLosses.push(lastMetrics[0] ?? null);
    if (lastMetrics.length > 1) this.metrics.push(lastMetrics.slice(1));
    this.formatStats([s.epoch, s.smoothLoss, ...lastMetrics]);
  }

  /** Prints one row: the epoch as an integer, every other stat with 6 decimals ('#na#' for none), the time. */
  formatStats(stats: readonly (number | null)[]): void {
    const n = Math.min(stats.length, this.names.length);
    const cells = stats.slice(0, n).map((v, i) => formatStat(v, i === 0));
    if (this.addTime) cells.push(formatTime((this.now() - this.#startEpoch) / 1000));
    if (!this.silent) this.writer(tableRow(this.names, cells));
  }

  /** The smoothed training loss per batch and the validation loss per epoch; `.svg` or `.png` by extension. */
  plotLosses(file: string, opts: PlotLossesOptions = {}): void {
    const skipStart = opts.skipStart ?? 0;
    const skipEnd = opts.skipEnd ?? 0;
    const iterations = this.losses.map((_, i) => i);
    const valIter: number[] = [];
    let acc = 0;
    for (const b of this.nbBatches) {
      acc += b;
      valIter.push(acc);
    }
    const [vi, vl] = this.#splitVal(valIter, skipStart, skipEnd);
    writePlot('Recorder.plotLosses', file, [
      {
        xLabel: 'Batches processed',
        yLabel: 'Loss',
        legend: true,
        series: [
          {
            label: 'Train',
            xs: splitList(iterations, skipStart, skipEnd),
            ys: splitList(this.losses, skipStart, skipEnd),
            color: COLORS[0]!,
          },
          { label: 'Validation', xs: vi, ys: vl, color: COLORS[1]! },
        ],
      },
    ]);
  }

  /** The learning rate per training batch, and the momentum beside it with `showMoms`. */
  plotLr(file: string, opts: { showMoms?: boolean } = {}): void {
    const it = this.lrs.map((_, i) => i);
    const panels: Panel[] = [
      {
        xLabel: 'Iterations',
        yLabel: 'Learning Rate',
        series: [{ label: 'lr', xs: it, ys: this.lrs, color: COLORS[0]! }],
      },
    ];
    if (opts.showMoms) {
      panels.push({
        xLabel: 'Iterations',
        yLabel: 'Momentum',
        series: [{ label: 'mom', xs: it, ys: this.moms, color: COLORS[0]! }],
      });
    }
    writePlot('Recorder.plotLr', file, panels);
  }

  /** fastai's _split_list_val: the validation points inside the kept range of batches. */
  #splitVal(valIter: number[], skipStart: number, skipEnd: number): [number[], (number | null)[]] {
    if (valIter.length === 0) return [[], []];
    const last = valIter[valIter.length - 1]!;
    const startVal = valIter.findIndex((v) => v - skipStart >= 0);
    let endVal = -1;
    valIter.forEach((v, i) => {
      if (last - v - skipEnd >= 0) endVal = i + 1;
    });
    if (startVal < 0) return [[], []];
    const end = skipEnd > 0 ? endVal : valIter.length;
    return [valIter.slice(startVal, end), this.valLosses.slice(startVal, end)];
  }
}

/** fastai's _split_list: `vals[skipStart:-skipEnd]`, or `vals[skipStart:]` when skipEnd is 0. */
function splitList<T>(vals: readonly T[], skipStart: number, skipEnd: number): T[] {
  return skipEnd > 0 ? vals.slice(skipStart, -skipEnd) : vals.slice(skipStart);
}
