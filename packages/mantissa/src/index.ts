/**
 * Every Mantissa package in one import. Where two packages export the same name, the higher-level one
 * wins: `crossEntropy` is @mantissa/nn's loss (import the fused kernel op from @mantissa/tensor), and the
 * layer option types `BatchNormOptions`, `Conv2dOptions`, `MaxPool2dOptions` and `Reduction` are nn's;
 * `Batch` (the same `[x, y]` tuple in both) is @mantissa/data's.
 */

export * from '@mantissa/autograd';
export * from '@mantissa/callbacks';
export type { Batch } from '@mantissa/data';
export * from '@mantissa/data';
export * from '@mantissa/fp16';
export * from '@mantissa/learner';
export * from '@mantissa/nn';
export {
  type BatchNormOptions,
  type Conv2dOptions,
  crossEntropy,
  type MaxPool2dOptions,
  type Reduction,
} from '@mantissa/nn';
export * from '@mantissa/optim';
export * from '@mantissa/tensor';
