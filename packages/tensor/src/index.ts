export {
  arange,
  full,
  ones,
  rand,
  randn,
  type TensorData,
  type TensorOptions,
  tensor,
  zeros,
} from './creation';
export { checkDevice, type Device } from './device';
export { ALL_DTYPES, DTYPES, type DType, type DTypeInfo, FLOAT_DTYPES, isDType, promoteTypes } from './dtype';
export {
  backendInfo,
  MAX_KERNEL_TENSORS,
  type OpHook,
  recordOp,
  runKernel,
  setNumThreads,
  setOpHook,
} from './engine';
export {
  ArgumentError,
  AxisError,
  BroadcastError,
  DeviceError,
  DisposedError,
  DTypeError,
  KernelError,
  MantissaError,
  NotCompiledWithCudaError,
  NotImplementedOnDeviceError,
  OutOfMemoryError,
  ShapeError,
} from './errors';
export {
  type DeviceMemoryInfo,
  deviceMemory,
  emptyCache,
  keep,
  type MemoryInfo,
  memory,
  synchronize,
  tidy,
} from './memory';
export {
  type BatchNormBackwardResult,
  type BatchNormOptions,
  type BatchNormResult,
  batchNorm,
  batchNormBackward,
} from './ops/batch-norm';
export { add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub } from './ops/binary';
export {
  type Conv2dOptions,
  conv2d,
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
} from './ops/conv2d';
export {
  type CrossEntropyOptions,
  crossEntropy,
  crossEntropyBackward,
  type Reduction,
} from './ops/cross-entropy';
export { type DropoutResult, dropout, dropoutBackward } from './ops/dropout';
export { bmm, linear, matmul } from './ops/matmul';
export { type Operand, resultType } from './ops/operand';
export { type AdamStepOptions, adamStep_, type SgdStepOptions, sgdStep_ } from './ops/optim-step';
export {
  type AdaptiveSize,
  type AvgPool2dOptions,
  adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  type MaxPool2dOptions,
  maxPool2d,
  maxPool2dBackward,
  type Size2,
} from './ops/pool';
export { allFinite, argmax, max, mean, min, sum, variance } from './ops/reduce';
export { logSoftmax, logSoftmaxBackward } from './ops/softmax';
export {
  abs,
  clamp,
  exp,
  isfinite,
  isnan,
  log,
  neg,
  relu,
  reluBackward,
  rsqrt,
  sigmoid,
  sqrt,
  tanh,
} from './ops/unary';
export { unscaleAndCheck } from './ops/unscale';
export { where } from './ops/where';
export { getRngState, initialSeed, manualSeed, setRngState } from './random';
export { broadcastShapes, contiguousStrides } from './shape';
export { isTensor, type NestedArray, Tensor } from './tensor';
