import { Callback, EVENTS, type EventName, type LoopState } from '../src';

export interface Snapshot {
  event: EventName;
  epoch: number;
  iteration: number;
  numBatch: number;
  train: boolean;
  nEpochs: number;
  lastLoss: number | null;
  smoothLoss: number | null;
  lastMetrics: (number | null)[];
  metricsNames: string[];
  exception: unknown;
}

/** Records every event it receives with the part of the state the tests check. */
export class Recording extends Callback {
  log: Snapshot[] = [];

  constructor(
    readonly label = 'rec',
    order = 0,
  ) {
    super();
    this.order = order;
    for (const ev of EVENTS) {
      (this as unknown as Record<string, (s: LoopState) => void>)[ev] = (s) => {
        this.log.push({
          event: ev,
          epoch: s.epoch,
          iteration: s.iteration,
          numBatch: s.numBatch,
          train: s.train,
          nEpochs: s.nEpochs,
          lastLoss: s.lastLoss === null ? null : Number(s.lastLoss.item()),
          smoothLoss: s.smoothLoss,
          lastMetrics: [...s.lastMetrics],
          metricsNames: [...s.metricsNames],
          exception: s.exception,
        });
      };
    }
  }

  events(): string[] {
    return this.log.map((s) => s.event);
  }
}
