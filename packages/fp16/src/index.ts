export { Fp16Error, Fp16OptionError, Fp16StateError, LossScaleError, type OverflowSite } from './errors';
export {
  type AtMinScale,
  LossScaler,
  type LossScalerOptions,
  type LossScalerStateDict,
  type PairNames,
  type ParamSpan,
  type ResolvedLossScalerOptions,
  resolveScalerOptions,
  SCALER_SCHEMA_VERSION,
  type ScalerUpdate,
  type UnscaleResult,
} from './loss-scaler';
export {
  MASTER_SCHEMA_VERSION,
  MasterParams,
  type MasterParamsOptions,
  type MasterParamsStateDict,
} from './master-params';
export {
  MIXED_PRECISION_SCHEMA_VERSION,
  MixedPrecision,
  type MixedPrecisionLearner,
  type MixedPrecisionOptions,
  type MixedPrecisionStateDict,
} from './mixed-precision';
export { firstNonFinite } from './overflow';
export {
  type Batch,
  batchToBfloat16,
  batchToHalf,
  batchTransformFor,
  type HalfDType,
  isBatchNorm,
  lossFp32,
  modelToFloat,
  modelToHalf,
  toFloat,
  toHalf,
} from './policy';
export { type Fp16Learner, mixedPrecisionOf, toFp16, toFp32 } from './wiring';
