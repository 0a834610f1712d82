export { CHECKPOINT_SCHEMA } from './checkpoint';
export { CheckpointError, LearnerError } from './errors';
export {
  adamW,
  type DatasetType,
  type FitOneCycleOptions,
  type FitOptions,
  Learner,
  type LearnerData,
  type LearnerOptions,
  type Prediction,
  type PredsOptions,
} from './learner';
export {
  type BatchLoaderLike,
  type DataLike,
  fit,
  type LoopLearner,
  type LoopOptions,
  type LossFunc,
  lossBatch,
  validate,
} from './loop';
export { crossEntropyFlat } from './loss';
export { DEFAULT_LR, type Lr, type LrSlice, lrRange, slice } from './lr';
export { accuracy, errorRate } from './metrics';
