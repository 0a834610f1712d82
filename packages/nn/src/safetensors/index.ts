export type { SafetensorsDType } from './dtypes';
export type { SafetensorsHeader, SafetensorsTensorInfo } from './header';
export { loadSafetensors, parseSafetensors, readSafetensorsHeader } from './read';
export {
  type SafetensorsMetadata,
  type StateDict,
  saveSafetensors,
  serializeSafetensors,
} from './write';
