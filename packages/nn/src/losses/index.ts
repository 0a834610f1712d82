export { type BceWithLogitsOptions, bceWithLogits } from './bce';
export type { LossDType, Reduction } from './common';
export { type ClassLossOptions, crossEntropy, nllLoss } from './cross-entropy';
export { mseLoss, type ReductionOptions } from './mse';
