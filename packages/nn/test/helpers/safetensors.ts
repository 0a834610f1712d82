import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DTYPES, type DType, Tensor, tensor } from '@mantissa/tensor';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const PYTHON = '/usr/bin/python3';

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  hex: string;
}
export interface ExpectedFile {
  metadata: Record<string, string> | null;
  tensors: Record<string, ExpectedTensor>;
}

export function expectedFixtures(): Record<string, ExpectedFile> {
  return JSON.parse(readFileSync(join(FIXTURES, 'safetensors.json'), 'utf8')) as Record<string, ExpectedFile>;
}

export const fixtureBytes = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(FIXTURES, `${name}.safetensors`)));

export const DTYPE_OF: Record<string, DType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I32: 'int32',
  BOOL: 'bool',
  I64: 'int32',
};

/** The little-endian bytes of a tensor's values in row-major order, as hex. */
export function hexOf(t: Tensor): string {
  const v = DTYPES[t.dtype].isHalf ? t.bits() : t.data();
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}

/** Builds the expected tensor from its bytes (I64 is not writable, so not here). */
export function tensorOf(e: ExpectedTensor): Tensor {
  const b = Buffer.from(e.hex, 'hex');
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const shape = e.shape;
  switch (e.dtype) {
    case 'F32':
      return tensor(new Float32Array(buf), { shape });
    case 'F64':
      return tensor(new Float64Array(buf), { shape });
    case 'I32':
      return tensor(new Int32Array(buf), { shape });
    case 'BOOL':
      return tensor(new Uint8Array(buf), { dtype: 'bool', shape });
    case 'F16':
      return Tensor.fromBits(new Uint16Array(buf), 'float16', shape);
    case 'BF16':
      return Tensor.fromBits(new Uint16Array(buf), 'bfloat16', shape);
    default:
      throw new Error(`no writable dtype ${e.dtype}`);
  }
}

/** A safetensors file from a header text and a data buffer (for malformed-file tests). */
export function fileOf(header: string, data: Uint8Array = new Uint8Array(0), size?: bigint): Uint8Array {
  const json = Buffer.from(header, 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, size ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** True when /usr/bin/python3 can import torch (the interop checks skip otherwise). */
export function hasTorch(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}
