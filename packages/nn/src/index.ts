export { fmtValue, NnError, SafetensorsError, StateDictError } from './errors';
