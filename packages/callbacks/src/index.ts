export { AverageMetric } from './average-metric';
export { Callback, type CallbackResult, EVENTS, type EventName } from './callback';
export { CallbackArgumentError, CallbackError, StateKeyError } from './errors';
export { CallbackHandler } from './handler';
export { camelToSnake } from './names';
export { SmoothenValue } from './smoothen';
export { initialState, STATE_KEYS } from './state';
export type { LearnerLike, LoopState, Metric, OptimizerLike } from './types';
