import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { type Tensor, Tensor as TensorClass, tensor } from '@mantissa/tensor';
import { SafetensorsError } from '../errors';
import {
  parseHeader,
  readHeaderSize,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  type Source,
} from './header';

const MEMORY = '<memory>';
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/**
 * A tensor from its bytes. The bytes are copied into a fresh ArrayBuffer first: a tensor's offset in
 * the file need not be a multiple of its itemsize, and typed arrays need that alignment.
 */
function toTensor(info: SafetensorsTensorInfo, raw: Uint8Array, src: Source): Tensor {
  // Not raw.slice(): on a Node Buffer (readFileSync's result) slice() is a view, not a copy.
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  const buf = copy.buffer;
  const shape = info.shape;
  switch (info.dtype) {
    case 'F32':
      return tensor(new Float32Array(buf), { shape });
    case 'F64':
      return tensor(new Float64Array(buf), { shape });
    case 'I32':
      return tensor(new Int32Array(buf), { shape });
    case 'F16':
      return TensorClass.fromBits(new Uint16Array(buf), 'float16', shape);
    case 'BF16':
      return TensorClass.fromBits(new Uint16Array(buf), 'bfloat16', shape);
    case 'BOOL':
      return tensor(new Uint8Array(buf), { dtype: 'bool', shape });
    case 'I64': {
      // Mantissa has no int64; PyTorch writes int64 for counters such as batch norm's
      // num_batches_tracked. They load as int32 when every value fits.
      const wide = new BigInt64Array(buf);
      const narrow = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i]!;
        if (v < INT32_MIN || v > INT32_MAX) {
          throw new SafetensorsError(
            src.op,
            src.file,
            info.name,
            'values in the int32 range -2147483648..2147483647 (I64 loads as int32)',
            `${v} at flat index ${i}`,
            'I64 value out of range',
          );
        }
        narrow[i] = Number(v);
      }
      return tensor(narrow, { shape });
    }
  }
}

function define(out: Record<string, Tensor>, name: string, t: Tensor): void {
  // defineProperty: a tensor named '__proto__' becomes an own key instead of a prototype change.
  Object.defineProperty(out, name, { value: t, enumerable: true, writable: true, configurable: true });
}

function tensorsOf(bytes: Uint8Array, header: SafetensorsHeader, src: Source): Record<string, Tensor> {
  const base = 8 + header.headerSize;
  const out: Record<string, Tensor> = {};
  try {
    for (const info of header.tensors) {
      const [b, e] = info.dataOffsets;
      define(out, info.name, toTensor(info, bytes.subarray(base + b, base + e), src));
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

function parseAll(bytes: Uint8Array, src: Source): { header: SafetensorsHeader; bytes: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError(src.op, src.file, null, 'a Uint8Array', bytes, 'argument bytes');
  }
  const n = readHeaderSize(bytes, bytes.length, src);
  return { header: parseHeader(bytes.subarray(8, 8 + n), bytes.length, src), bytes };
}

/**
 * Reads the tensors of a safetensors file held in memory, keyed by name, in the order of their data.
 * F32, F16, BF16, F64, I32 and BOOL load as float32, float16, bfloat16, float64, int32 and bool; I64
 * loads as int32 when every value fits (else it throws). Any inconsistency in the file throws a
 * SafetensorsError naming the tensor, what was expected and what was found.
 */
export function parseSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  const src = { op: 'parseSafetensors', file: MEMORY };
  const { header } = parseAll(bytes, src);
  return tensorsOf(bytes, header, src);
}

function readFile(path: string, src: Source): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SafetensorsError(src.op, path, null, 'a readable file', err.code ?? err.message, 'cannot read');
  }
}

/** Reads the tensors of a safetensors file (see parseSafetensors). */
export function loadSafetensors(path: string): Record<string, Tensor> {
  const src = { op: 'loadSafetensors', file: String(path) };
  const bytes = readFile(path, src);
  const { header } = parseAll(bytes, src);
  return tensorsOf(bytes, header, src);
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length; ) {
    const got = readSync(fd, into, done, into.length - done, position + done);
    if (got === 0) break; // the file shrank under us; the header checks report the short read
    done += got;
  }
}

/**
 * The header of a safetensors file (a path, read up to the end of the header only) or buffer:
 * its `__metadata__` map and each tensor's name, dtype, shape and data offsets, validated as when
 * loading, without reading any tensor.
 */
export function readSafetensorsHeader(source: string | Uint8Array): SafetensorsHeader {
  const op = 'readSafetensorsHeader';
  if (typeof source !== 'string') return parseAll(source, { op, file: MEMORY }).header;
  const src = { op, file: source };
  let fd: number;
  try {
    fd = openSync(source, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SafetensorsError(op, source, null, 'a readable file', err.code ?? err.message, 'cannot read');
  }
  try {
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(8);
    readFully(fd, prefix.subarray(0, Math.min(8, size)), 0);
    const n = readHeaderSize(prefix, size, src);
    const headerBytes = new Uint8Array(n);
    readFully(fd, headerBytes, 8);
    return parseHeader(headerBytes, size, src);
  } finally {
    closeSync(fd);
  }
}
