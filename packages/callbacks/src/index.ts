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
export { CSVLogger, type CSVLoggerOptions } from './csv-logger';
export { CallbackArgumentError, CallbackError, StateKeyError } from './errors';
export { formatFixed, formatStat, formatTime, padNames, tableHeader, tableRow } from './format';
export { CallbackHandler } from './handler';
export { camelToSnake } from './names';
export { type OneCycleOptions, OneCycleScheduler } from './one-cycle';
export type { Panel, Series } from './plot/layout';
export { renderPng } from './plot/png';
export { renderSvg } from './plot/svg';
export { writePlot } from './plot/write';
export { ProgressBar, type ProgressBarOptions, type ProgressStream } from './progress-bar';
export { type PlotLossesOptions, Recorder, type RecorderOptions } from './recorder';
export { SmoothenValue } from './smoothen';
export { initialState, STATE_KEYS } from './state';
export type { LearnerLike, LoopState, Metric, OptimizerLike } from './types';
