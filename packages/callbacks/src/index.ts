export {
  type AnnealFunc,
  annealingCos,
  annealingExp,
  annealingLinear,
  annealingNo,
  annealingPoly,
  type Hyper,
  Scheduler,
} from './annealing';
export { AverageMetric } from './average-metric';
export { Callback, type CallbackResult, EVENTS, type EventName } from './callback';
export { CallbackArgumentError, CallbackError, StateKeyError } from './errors';
export { formatFixed, formatStat, formatTime, padNames, tableHeader, tableRow } from './format';
export { CallbackHandler } from './handler';
export { camelToSnake } from './names';
export { type OneCycleOptions, OneCycleScheduler } from './one-cycle';
export { SmoothenValue } from './smoothen';
export { initialState, STATE_KEYS } from './state';
export type { LearnerLike, LoopState, Metric, OptimizerLike } from './types';
