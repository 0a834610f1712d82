export { fmtValue, NnError, SafetensorsError, StateDictError } from './errors';
export * from './safetensors';
