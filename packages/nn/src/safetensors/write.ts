import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DTYPES, isTensor, MantissaError, type Tensor } from '@mantissa/tensor';
import { SafetensorsError } from '../errors';
import { alignmentRank, ITEMSIZE, type SafetensorsDType, TO_SAFETENSORS } from './dtypes';
import { checkHostEndianness, MAX_HEADER_SIZE, METADATA_KEY, type Source } from './header';

/** Tensors by name: a plain object or a Map (a module's stateDict()). */
export type StateDict = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;
/** The free-form `__metadata__` string map, e.g. `{ format: 'pt' }`. */
export type SafetensorsMetadata = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

interface Planned {
  name: string;
  tensor: Tensor;
  dtype: SafetensorsDType;
  bytes: number;
}

interface Plan {
  /** The 8-byte size prefix followed by the padded JSON header. */
  head: Uint8Array;
  entries: Planned[];
  dataLength: number;
}

const LONE_SURROGATE = /\p{Cs}/u;

function fail(src: Source, tensor: string | null, what: string, expected: unknown, actual: unknown): never {
  throw new SafetensorsError(src.op, src.file, tensor, expected, actual, what);
}

function entriesOf<T>(value: unknown, what: string, src: Source): [unknown, T][] {
  if (value instanceof Map) return [...value.entries()] as [unknown, T][];
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isTensor(value)) {
    return Object.entries(value) as [string, T][];
  }
  return fail(src, null, what, 'a plain object or a Map keyed by name', value);
}

// A name the format (UTF-8 JSON keys) and the reference reader can hold.
function checkName(name: unknown, src: Source): string {
  if (typeof name !== 'string') fail(src, null, 'tensor name', 'a string', name);
  if (name === METADATA_KEY) fail(src, name, 'tensor name', `a name other than ${METADATA_KEY}`, name);
  if (LONE_SURROGATE.test(name)) fail(src, name, 'tensor name', 'well-formed Unicode', 'a lone surrogate');
  return name;
}

function checkMetadata(metadata: unknown, src: Source): [string, string][] | null {
  if (metadata === undefined || metadata === null) return null;
  const out: [string, string][] = [];
  for (const [k, v] of entriesOf<unknown>(metadata, 'metadata', src)) {
    if (typeof k !== 'string' || LONE_SURROGATE.test(k)) fail(src, null, 'metadata key', 'a string', k);
    if (typeof v !== 'string') fail(src, null, `metadata value of '${k}'`, 'a string', v);
    out.push([k, v]);
  }
  return out;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * Validates everything and lays out the file before any byte is written. The order and the header
 * text are those of the reference writer (safetensors' Rust `prepare`, which `save_file` calls):
 * tensors by descending dtype alignment, then by name (bytewise UTF-8); compact JSON with
 * `__metadata__` first; the header padded with spaces to a multiple of 8 bytes.
 */
function plan(dict: unknown, metadata: unknown, src: Source): Plan {
  checkHostEndianness(src);
  const meta = checkMetadata(metadata, src);
  const entries: (Planned & { key: Buffer })[] = [];
  for (const [rawName, t] of entriesOf<unknown>(dict, 'state dict', src)) {
    const name = checkName(rawName, src);
    if (!isTensor(t)) fail(src, name, 'value', 'a Tensor', t);
    if (t.isDisposed) fail(src, name, 'tensor', 'a live tensor', 'a disposed tensor');
    const dtype = TO_SAFETENSORS[t.dtype];
    entries.push({ name, tensor: t, dtype, bytes: t.numel * ITEMSIZE[dtype], key: utf8(name) });
  }
  entries.sort((a, b) => alignmentRank(b.dtype) - alignmentRank(a.dtype) || Buffer.compare(a.key, b.key));
  const parts: string[] = [];
  if (meta !== null) {
    parts.push(
      `${JSON.stringify(METADATA_KEY)}:{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  }
  let offset = 0;
  for (const e of entries) {
    const shape = e.tensor.shape.join(',');
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${shape}],"data_offsets":[${offset},${offset + e.bytes}]}`,
    );
    offset += e.bytes;
  }
  const json = utf8(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > MAX_HEADER_SIZE) fail(src, null, 'header size', `at most ${MAX_HEADER_SIZE} bytes`, n);
  const head = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
  head.set(json, 8);
  return { head, entries, dataLength: offset };
}

/** The little-endian bytes of t in row-major order (a contiguous copy whatever its strides). */
function bytesOf(e: Planned, src: Source): Uint8Array {
  const t = e.tensor;
  const values = DTYPES[t.dtype].isHalf ? t.bits() : t.data();
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (bytes.length !== e.bytes) fail(src, e.name, 'byte length', e.bytes, bytes.length);
  return bytes;
}

/**
 * The safetensors bytes of a state dict (see saveSafetensors). Byte-identical to what
 * `safetensors.torch.save_file` writes for the same tensors and (single-key) metadata.
 */
export function serializeSafetensors(dict: StateDict, metadata?: SafetensorsMetadata): Uint8Array {
  const src = { op: 'serializeSafetensors', file: '<memory>' };
  const p = plan(dict, metadata, src);
  const out = new Uint8Array(p.head.length + p.dataLength);
  out.set(p.head, 0);
  let at = p.head.length;
  for (const e of p.entries) {
    out.set(bytesOf(e, src), at);
    at += e.bytes;
  }
  return out;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Writes a state dict to `path` in the safetensors format, with an optional `__metadata__` string
 * map. F32, F16, BF16, F64, I32 and BOOL tensors are written as they are (non-contiguous views as
 * contiguous copies). The file is written to a temporary file in the same directory, flushed to disk
 * and renamed over `path`, so a reader never sees a half-written file and a failure leaves any
 * previous file intact.
 */
export function saveSafetensors(path: string, dict: StateDict, metadata?: SafetensorsMetadata): void {
  const src = { op: 'saveSafetensors', file: String(path) };
  if (typeof path !== 'string' || path === '') fail(src, null, 'path', 'a file path', path);
  const p = plan(dict, metadata, src);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx');
    writeAll(fd, p.head);
    for (const e of p.entries) writeAll(fd, bytesOf(e, src));
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created (or is already gone).
    }
    if (MantissaError.isInstance(e)) throw e;
    const err = e as NodeJS.ErrnoException;
    fail(src, null, 'cannot write', 'a writable path', err.code ?? err.message);
  }
}
