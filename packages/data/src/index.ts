export { applyTransforms, type Batch, type BatchTransform, disposeBatch } from './batch';
export { DefaultCollate, type Item, type ItemPart } from './collate';
export {
  DataBunch,
  type DataBunchCreateOptions,
  type DataBunchOptions,
  DeviceDataLoader,
} from './databunch';
export { type BatchLoader, DataLoader, type DataLoaderOptions } from './dataloader';
export { type BatchDataset, type Dataset, type LabelInfo, TensorDataset } from './dataset';
export { DataError } from './errors';
