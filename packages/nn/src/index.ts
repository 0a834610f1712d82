export { ClassIndexError, fmtValue, NnError, SafetensorsError, StateDictError } from './errors';
export * from './losses';
export * from './safetensors';
