import type { DType } from '../../src/index';
import type { NativeBinding } from '../../src/native';

export interface CastJob {
  src: DType;
  dst: DType;
  shape: number[];
  srcStrides?: number[];
  srcOffset?: number;
  dstStrides?: number[];
  dstOffset?: number;
  /** elements in the destination storage */
  dstElems: number;
  /** 1-D runs of each length instead of one cast of `shape` */
  lengths?: number[];
}

export function runCastJob(native: NativeBinding, job: CastJob, input: Uint8Array): Uint8Array;
