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
export { defaults } from './defaults';
export { DataError } from './errors';
export { type IdxArray, type MnistSplit, mnistSplit, parseIdx } from './idx';
export { type FromFolderOptions, ImageDataBunch } from './image-databunch';
export { BYTE_TO_UNIT, ImageDataset } from './image-dataset';
export { type DecodedImage, decodePng, encodeGrayPng } from './png';
export { dataDir, type UntarDataOptions, URLs, untarData } from './untar-data';
