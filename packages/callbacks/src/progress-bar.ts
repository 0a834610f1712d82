import { Callback } from './callback';
import { formatFixed, formatTime } from './format';
import type { LearnerLike, LoopState } from './types';

/** The part of a stream the bar uses (process.stderr by default). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** false turns the bar off; it is also off when the stream is not a TTY. */
  enabled?: boolean;
  stream?: ProgressStream;
  /** The least time between two redraws, in ms; default 100 (at most ~10 updates a second). */
  minIntervalMs?: number;
  /** A clock in milliseconds; default performance.now. */
  now?: () => number;
  /** The number of bar characters; default 50, as fastprogress. */
  length?: number;
}

/**
 * Per-batch progress on stderr in fastprogress's console style:
 * `epoch 1/3 train |█████-----| 45.60% [88/193 00:02<00:03 0.1234]` (the comment is the smoothed loss).
 * It redraws one line, clears it before the Recorder prints the epoch's row (order −20), and stays silent
 * when the stream is not a terminal, so logs and pipes get only the table.
 */
export class ProgressBar extends Callback {
  override order = -20;
  readonly enabled: boolean;
  readonly stream: ProgressStream;
  readonly minIntervalMs: number;
  readonly now: () => number;
  readonly length: number;
  #nEpochs = 0;
  #phase: 'train' | 'valid' = 'train';
  #total = 0;
  #count = 0;
  #start = 0;
  #lastDraw = -Infinity;
  #comment = '';
  #drawn = false;

  constructor(
    readonly learn: LearnerLike,
    opts: ProgressBarOptions = {},
  ) {
    super();
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.enabled !== false && this.stream.isTTY === true;
    this.minIntervalMs = opts.minIntervalMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
    this.length = opts.length ?? 50;
  }

  override onTrainBegin(s: LoopState): void {
    this.#nEpochs = s.nEpochs;
  }

  override onEpochBegin(s: LoopState): void {
    this.#begin('train', this.learn.data.train.length);
    this.#comment = '';
    this.#draw(s.epoch, true);
  }

  override onBatchBegin(s: LoopState): void {
    if (!s.train && this.#phase === 'train') {
      this.#begin('valid', this.learn.data.valid?.length ?? 0);
      this.#draw(s.epoch, true);
    }
  }

  override onBackwardBegin(s: LoopState): void {
    if (s.smoothLoss !== null) this.#comment = formatFixed(s.smoothLoss, 4);
  }

  override onBatchEnd(s: LoopState): void {
    this.#count += 1;
    this.#draw(s.epoch, this.#count >= this.#total);
  }

  override onEpochEnd(): void {
    this.#clear();
  }

  override onTrainEnd(): void {
    this.#clear();
  }

  #begin(phase: 'train' | 'valid', total: number): void {
    this.#phase = phase;
    this.#total = total;
    this.#count = 0;
    this.#start = this.now();
    this.#lastDraw = -Infinity;
  }

  /** The text of the current line (exposed for tests through a stream). */
  line(epoch: number): string {
    const elapsed = (this.now() - this.#start) / 1000;
    const val = this.#count;
    const total = this.#total;
    const filled = total > 0 ? Math.floor((this.length * val) / total) : 0;
    const bar = '█'.repeat(filled) + '-'.repeat(Math.max(0, this.length - filled));
    const pct = total > 0 ? (100 * val) / total : 0;
    const remaining = val > 0 ? (elapsed / val) * (total - val) : 0;
    const comment = this.#phase === 'train' && this.#comment !== '' ? ` ${this.#comment}` : '';
    const text = `${formatFixed(pct, 2)}% [${val}/${total} ${formatTime(elapsed)}<${formatTime(remaining)}${comment}]`;
    return `epoch ${epoch + 1}/${this.#nEpochs} ${this.#phase} |${bar}| ${text}`;
  }

  #draw(epoch: number, force: boolean): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.#lastDraw < this.minIntervalMs) return;
    this.#lastDraw = t;
    let text = this.line(epoch);
    const cols = this.stream.columns;
    if (cols !== undefined && cols > 1 && text.length >= cols) text = text.slice(0, cols - 1);
    this.stream.write(`\r\x1b[K${text}`);
    this.#drawn = true;
  }

  #clear(): void {
    if (!this.enabled || !this.#drawn) return;
    this.stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
