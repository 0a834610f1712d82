import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Callback } from './callback';
import { formatStat, formatTime } from './format';
import type { LearnerLike, LoopState } from './types';

export interface CSVLoggerOptions {
  /** The file is `<learn.path>/<filename>.csv`; default 'history'. */
  filename?: string;
  /** Append to an existing file instead of replacing it (a header is written on every fit, as fastai). */
  append?: boolean;
  /** A clock in milliseconds for the time column; default performance.now. */
  now?: () => number;
}

/**
 * fastai v1's CSVLogger: writes the Recorder's table to `<learn.path>/history.csv`, a header line at
 * train begin and one line per epoch (flushed as it is written), with the same cell formatting.
 */
export class CSVLogger extends Callback {
  readonly path: string;
  readonly append: boolean;
  readonly now: () => number;
  names: string[] = [];
  #fd: number | null = null;
  #startEpoch = 0;

  constructor(
    readonly learn: LearnerLike,
    opts: CSVLoggerOptions = {},
  ) {
    super();
    this.path = join(learn.path, `${opts.filename ?? 'history'}.csv`);
    this.append = opts.append ?? false;
    this.now = opts.now ?? (() => performance.now());
  }

  override onTrainBegin(s: LoopState): void {
    this.#close();
    this.names = ['epoch', 'train_loss', 'valid_loss', ...s.metricsNames, 'time'];
    mkdirSync(join(this.path, '..'), { recursive: true });
    this.#fd = openSync(this.path, this.append ? 'a' : 'w');
    writeSync(this.#fd, `${this.names.join(',')}\n`);
  }

  override onEpochBegin(): void {
    this.#startEpoch = this.now();
  }

  override onEpochEnd(s: LoopState): void {
    if (this.#fd === null) return;
    const stats = [s.epoch, s.smoothLoss, ...s.lastMetrics].slice(0, this.names.length);
    const cells = stats.map((v, i) => formatStat(v, i === 0));
    cells.push(formatTime((this.now() - this.#startEpoch) / 1000));
    writeSync(this.#fd, `${cells.join(',')}\n`);
  }

  override onTrainEnd(): void {
    this.#close();
  }

  /** The logged lines split on commas (fastai's read_logged_file returned a pandas DataFrame). */
  readLoggedFile(): string[][] {
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(','));
  }

  #close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
