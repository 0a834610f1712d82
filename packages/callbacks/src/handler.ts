import type { Tensor } from '@mantissa/tensor';
import { AverageMetric } from './average-metric';
import { Callback, type EventName } from './callback';
import { CallbackArgumentError, StateKeyError } from './errors';
import { camelToSnake } from './names';
import { SmoothenValue } from './smoothen';
import { initialState, STATE_KEYS } from './state';
import type { LoopState, Metric } from './types';

const VALID_KEYS: ReadonlySet<string> = new Set(STATE_KEYS);

/**
 * fastai v1's CallbackHandler: owns the loop state and dispatches each event to the metrics (where fastai
 * does) and then to the callbacks sorted by `order`. The training loop calls one method per event; each
 * returns what the loop needs next (possibly changed by a callback). Build one handler per `fit`: the loss
 * smoother restarts with it.
 */
export class CallbackHandler {
  readonly callbacks: Callback[];
  readonly metrics: Callback[];
  readonly smoothener: SmoothenValue;
  #state: LoopState = initialState();

  constructor(
    callbacks: readonly Callback[] = [],
    metrics: readonly (Metric | Callback)[] = [],
    beta = 0.98,
  ) {
    for (const cb of callbacks) {
      if (!(cb instanceof Callback)) {
        throw new CallbackArgumentError('CallbackHandler', 'callbacks', 'Callback instances', String(cb));
      }
    }
    // Array.prototype.sort is stable (ES2019), as Python's sorted.
    this.callbacks = [...callbacks].sort((a, b) => a.order - b.order);
    this.metrics = metrics.map((m) => (m instanceof Callback ? m : new AverageMetric(m)));
    this.smoothener = new SmoothenValue(beta);
  }

  get state(): LoopState {
    return this.#state;
  }

  get skipValidate(): boolean {
    return this.#state.skipValidate;
  }

  /** Calls `event` on the metrics (if `callMets`), then on every callback, applying each returned partial state. */
  call(event: EventName, callMets = true): void {
    if (callMets) for (const m of this.metrics) this.#callAndUpdate(m, event);
    for (const cb of this.callbacks) this.#callAndUpdate(cb, event);
  }

  #callAndUpdate(cb: Callback, event: EventName): void {
    const fn = cb[event];
    if (fn === undefined) return;
    const res = fn.call(cb, this.#state);
    if (res === undefined || res === null) return;
    if (typeof res !== 'object') {
      throw new CallbackArgumentError(
        `${cb.constructor.name}.${event}`,
        'the returned value',
        'a partial loop state or nothing',
        String(res),
      );
    }
    const state = this.#state as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(res)) {
      if (!VALID_KEYS.has(k))
        throw new StateKeyError(`${cb.constructor.name}.${event}`, k, cb.constructor.name);
      state[k] = v;
    }
  }

  onTrainBegin(nEpochs: number, metricsNames?: readonly string[]): void {
    this.#state = initialState();
    this.#state.nEpochs = nEpochs;
    this.#state.metrics = this.metrics.map((m) => (m instanceof AverageMetric ? m.func : m));
    this.#state.metricsNames = metricsNames
      ? [...metricsNames]
      : this.metrics.map((m) => m.name ?? camelToSnake(m.constructor.name));
    this.call('onTrainBegin');
    const epoch = this.#state.epoch;
    if (epoch !== 0) for (const cb of this.callbacks) cb.jumpToEpoch?.(epoch);
  }

  onEpochBegin(): void {
    this.#state.numBatch = 0;
    this.#state.stopTraining = false;
    this.call('onEpochBegin');
  }

  onBatchBegin(xb: Tensor, yb: Tensor, train = true): [Tensor, Tensor] {
    const s = this.#state;
    s.lastInput = xb;
    s.lastTarget = yb;
    s.train = train;
    s.stopEpoch = false;
    s.skipStep = false;
    s.skipZero = false;
    s.skipBwd = false;
    this.call('onBatchBegin', !train);
    return [s.lastInput!, s.lastTarget!];
  }

  onLossBegin(output: Tensor): Tensor {
    this.#state.lastOutput = output;
    this.call('onLossBegin', false);
    return this.#state.lastOutput!;
  }

  /** Smooths the raw loss first (so the recorded train loss is unscaled), then calls the callbacks. */
  onBackwardBegin(loss: Tensor): [Tensor, boolean] {
    this.smoothener.addValue(Number(loss.item()));
    this.#state.lastLoss = loss;
    this.#state.smoothLoss = this.smoothener.smooth;
    this.call('onBackwardBegin', false);
    return [this.#state.lastLoss!, this.#state.skipBwd];
  }

  /** Returns skipStep. */
  onBackwardEnd(): boolean {
    this.call('onBackwardEnd', false);
    return this.#state.skipStep;
  }

  /** The loop calls it instead of `opt.step()` when onBackwardEnd returned true. */
  onStepSkipped(): void {
    this.call('onStepSkipped', false);
  }

  /** Returns skipZero. */
  onStepEnd(): boolean {
    this.call('onStepEnd', false);
    return this.#state.skipZero;
  }

  /** Returns stopEpoch; counts the batch only in training. */
  onBatchEnd(loss: Tensor | null): boolean {
    const s = this.#state;
    s.lastLoss = loss;
    this.call('onBatchEnd', !s.train);
    if (s.train) {
      s.iteration += 1;
      s.numBatch += 1;
    }
    return s.stopEpoch;
  }

  /** Metrics run only when there was a validation loss; returns stopTraining. */
  onEpochEnd(validLoss: number | null): boolean {
    const s = this.#state;
    s.lastMetrics = [validLoss ?? null];
    this.call('onEpochEnd', validLoss !== null && validLoss !== undefined);
    s.epoch += 1;
    return s.stopTraining;
  }

  /** `exception` is what was thrown, or false when training finished normally. */
  onTrainEnd(exception: unknown = false): void {
    this.#state.exception = exception;
    this.call('onTrainEnd');
  }
}
