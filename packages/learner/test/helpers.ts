import { Callback, EVENTS, type EventName, type LoopState } from '@mantissa/callbacks';
import { DataBunch, DataLoader, TensorDataset } from '@mantissa/data';
import { Linear, type Module, ReLU, Sequential } from '@mantissa/nn';
import { manualSeed, type Tensor, tensor } from '@mantissa/tensor';

/** A deterministic stream in [-1, 1) (a 32-bit LCG), so the data does not depend on the tensor RNG. */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** n points in 4-d with a label that a small MLP can learn: 1 when x0 + x1 > 0. */
export function points(n: number, seed: number): [Tensor, Tensor] {
  const next = stream(seed);
  const x = new Float32Array(n * 4).map(() => next());
  const y = Int32Array.from({ length: n }, (_, i) => (x[4 * i]! + x[4 * i + 1]! > 0 ? 1 : 0));
  return [tensor(x, { shape: [n, 4] }), tensor(y)];
}

export interface TinyDataOptions {
  nTrain?: number;
  nValid?: number;
  bs?: number;
  shuffle?: boolean;
  seed?: number;
}

/** A DataBunch of `points`: 3 training batches of 8 and 2 validation batches (8 + 2) by default. */
export function tinyData(o: TinyDataOptions = {}): DataBunch {
  const { nTrain = 24, nValid = 10, bs = 8, shuffle = false, seed } = o;
  const [xt, yt] = points(nTrain, 1);
  const [xv, yv] = points(nValid, 2);
  const train = new DataLoader(new TensorDataset(xt, yt), { batchSize: bs, shuffle, dropLast: true, seed });
  const valid = new DataLoader(new TensorDataset(xv, yv), { batchSize: bs });
  for (const t of [xt, yt, xv, yv]) t.dispose();
  return new DataBunch(train, valid, { classes: ['a', 'b'], lossFunc: 'crossEntropy' });
}

/** Linear(4, 8) → ReLU → Linear(8, 2), initialised from `manualSeed(seed)`. */
export function tinyModel(seed = 0): Module {
  manualSeed(seed);
  return new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
}

/** Every parameter's values, in order, as plain numbers. */
export function weights(model: Module): number[][] {
  return model.parameters().map((p) => Array.from(p.data()));
}

export interface Snapshot {
  event: EventName;
  epoch: number;
  iteration: number;
  numBatch: number;
  nEpochs: number;
  train: boolean;
  inputShape: number[] | null;
  hasOutput: boolean;
  lastLoss: number | null;
  smoothLoss: number | null;
  lastMetrics: (number | null)[];
  metricsNames: string[];
  /** Whether the first parameter has a gradient at this point. */
  hasGrad: boolean;
  exception: unknown;
}

/**
 * Records every event with the state the tests check; `on` lets a test return a partial state from
 * any event (e.g. `{ onBackwardEnd: () => ({ skipStep: true }) }`).
 */
export class Recording extends Callback {
  log: Snapshot[] = [];

  constructor(
    readonly model: Module,
    on: Partial<Record<EventName, (s: LoopState) => Partial<LoopState> | undefined>> = {},
    order = 0,
  ) {
    super();
    this.order = order;
    for (const ev of EVENTS) {
      (this as unknown as Record<string, (s: LoopState) => unknown>)[ev] = (s) => {
        this.log.push({
          event: ev,
          epoch: s.epoch,
          iteration: s.iteration,
          numBatch: s.numBatch,
          nEpochs: s.nEpochs,
          train: s.train,
          inputShape: s.lastInput?.isDisposed === false ? [...s.lastInput.shape] : null,
          hasOutput: s.lastOutput !== null && !s.lastOutput.isDisposed,
          lastLoss: s.lastLoss === null || s.lastLoss.isDisposed ? null : Number(s.lastLoss.item()),
          smoothLoss: s.smoothLoss,
          lastMetrics: [...s.lastMetrics],
          metricsNames: [...s.metricsNames],
          hasGrad: model.parameters()[0]!.grad !== null,
          exception: s.exception,
        });
        return on[ev]?.(s);
      };
    }
  }

  events(): EventName[] {
    return this.log.map((s) => s.event);
  }

  at(event: EventName): Snapshot[] {
    return this.log.filter((s) => s.event === event);
  }
}
