export { Adam, type AdamOptions, AdamW } from './adam';
export { OptimError } from './errors';
export {
  type OptFunc,
  OptimWrapper,
  type OptimWrapperOptions,
  type OptimWrapperStateDict,
} from './optim-wrapper';
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamState,
  type ParamsOrGroups,
} from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { flattenModel, type LayerGroup, splitNoWdParams } from './split-params';
