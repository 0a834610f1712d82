import type { LoopState } from './types';

/** What an event may return: nothing, or new values for some keys of the state. */
// biome-ignore lint/suspicious/noConfusingVoidType: an event that returns nothing is declared `: void`.
export type CallbackResult = Partial<LoopState> | undefined | void;

/** The events of fastai v1's training loop, in the order they fire, plus Mantissa's onStepSkipped. */
export const EVENTS = [
  'onTrainBegin',
  'onEpochBegin',
  'onBatchBegin',
  'onLossBegin',
  'onBackwardBegin',
  'onBackwardEnd',
  'onStepSkipped',
  'onStepEnd',
  'onBatchEnd',
  'onEpochEnd',
  'onTrainEnd',
] as const;
export type EventName = (typeof EVENTS)[number];

/**
 * A hook into the training loop (fastai v1's Callback). Every event is optional; each one receives the
 * whole current state, so a callback sees what earlier ones changed, and may return a partial state whose
 * values replace the loop's. Callbacks run sorted by `order` (stable): Recorder −10, default 0,
 * MixedPrecision 999.
 */
export abstract class Callback {
  order = 0;
  /** A column name when the callback is used as a metric; defaults to the class name in snake_case. */
  name?: string;

  onTrainBegin?(state: LoopState): CallbackResult;
  onEpochBegin?(state: LoopState): CallbackResult;
  onBatchBegin?(state: LoopState): CallbackResult;
  onLossBegin?(state: LoopState): CallbackResult;
  onBackwardBegin?(state: LoopState): CallbackResult;
  onBackwardEnd?(state: LoopState): CallbackResult;
  /** The loop skipped `opt.step()` because skipStep was set (e.g. a loss-scale overflow). */
  onStepSkipped?(state: LoopState): CallbackResult;
  onStepEnd?(state: LoopState): CallbackResult;
  onBatchEnd?(state: LoopState): CallbackResult;
  onEpochEnd?(state: LoopState): CallbackResult;
  onTrainEnd?(state: LoopState): CallbackResult;
  /** Called after onTrainBegin when a callback moved the start epoch (fastai's jump_to_epoch). */
  jumpToEpoch?(epoch: number): void;
}
