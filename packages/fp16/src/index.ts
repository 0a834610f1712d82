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
export { firstNonFinite } from './overflow';
