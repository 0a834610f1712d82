import { SafetensorsError } from '../errors';
import { ITEMSIZE, isFormatDType, isReadable, READABLE, type SafetensorsDType } from './dtypes';

/** The reference implementation refuses headers above 100 MB (safetensors' MAX_HEADER_SIZE). */
export const MAX_HEADER_SIZE = 100_000_000;
/** The tensor package's limit on dims. */
const MAX_DIMS = 8;
export const METADATA_KEY = '__metadata__';

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) in the byte buffer that follows the header. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes (the data buffer starts at 8 + N). */
  headerSize: number;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
  /** Every tensor, in the order of their data offsets. */
  tensors: SafetensorsTensorInfo[];
}

/** Where the problem is, for the error messages. */
export interface Source {
  op: string;
  file: string;
}

// Typed arrays use the host's byte order and the format is little-endian.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function checkHostEndianness(src: Source): void {
  if (!HOST_IS_LITTLE_ENDIAN) fail(src, null, 'host byte order', 'little-endian', 'big-endian');
}

function fail(src: Source, tensor: string | null, what: string, expected: unknown, actual: unknown): never {
  throw new SafetensorsError(src.op, src.file, tensor, expected, actual, what);
}

/** Reads N from the 8-byte little-endian prefix and checks it against the file's length. */
export function readHeaderSize(prefix: Uint8Array, fileLength: number, src: Source): number {
  checkHostEndianness(src);
  if (fileLength < 8) {
    fail(src, null, 'truncated file', 'at least 8 bytes (the header size)', `${fileLength} bytes`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    fail(src, null, 'header size', `at most ${MAX_HEADER_SIZE} bytes`, `${n} bytes`);
  }
  if (Number(n) > fileLength - 8) {
    fail(
      src,
      null,
      'header size beyond the end of the file (truncated file?)',
      `at most ${fileLength - 8} bytes`,
      `${n} bytes`,
    );
  }
  return Number(n);
}

const isWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * The keys of the top-level object of `text`, duplicates included (JSON.parse keeps only the last
 * one, which would let a file name one tensor twice unnoticed). `text` is valid JSON.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (isWhitespace(text[k])) k++;
        if (text[k] === ':') keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkMetadata(value: unknown, src: Source): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail(src, null, `${METADATA_KEY}`, 'an object of strings', JSON.stringify(value));
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      fail(src, null, `${METADATA_KEY} value of '${k}'`, 'a string', JSON.stringify(v));
    }
  }
  return { ...(value as Record<string, string>) };
}

function checkEntry(name: string, value: unknown, src: Source): SafetensorsTensorInfo {
  if (!isObject(value)) {
    fail(src, name, 'header entry', '{ dtype, shape, data_offsets }', JSON.stringify(value));
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') fail(src, name, 'dtype', 'a string', JSON.stringify(dtype));
  if (!isReadable(dtype)) {
    const what = isFormatDType(dtype) ? 'unsupported dtype' : 'unknown dtype';
    fail(src, name, what, `one of ${READABLE.join(', ')}`, dtype);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(src, name, 'shape', 'an array of non-negative integers', JSON.stringify(shape));
  }
  if (shape.length > MAX_DIMS) fail(src, name, 'shape', `at most ${MAX_DIMS} dims`, shape);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(src, name, 'data_offsets', '[begin, end] (non-negative integers)', JSON.stringify(offsets));
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(src, name, 'data_offsets', 'begin <= end', offsets);
  const bytes = shape.reduce((a: number, s: number) => a * s, ITEMSIZE[dtype]);
  if (bytes !== end - begin) {
    fail(
      src,
      name,
      `byte length (shape [${shape.join(', ')}] x ${ITEMSIZE[dtype]} bytes of ${dtype})`,
      `${bytes} bytes`,
      `${end - begin} bytes (data_offsets [${begin}, ${end}])`,
    );
  }
  return { name, dtype, shape: shape.slice(), dataOffsets: [begin, end] };
}

/**
 * Parses and validates the JSON header (the N bytes after the prefix) of a file of `fileLength`
 * bytes: the reference reader's checks (tensors tile the data buffer exactly, in offset order, each
 * with shape x itemsize bytes) plus duplicate names, which serde would also refuse.
 */
export function parseHeader(headerBytes: Uint8Array, fileLength: number, src: Source): SafetensorsHeader {
  const headerSize = headerBytes.length;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail(src, null, 'header', 'UTF-8 text', 'invalid UTF-8 bytes');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(src, null, 'header', 'valid JSON', `${(e as Error).message}`);
  }
  if (!isObject(json)) fail(src, null, 'header', 'a JSON object', text.trim().slice(0, 40));
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) fail(src, key, 'duplicate name in header', 'each name once', 'twice');
    seen.add(key);
  }
  const metadata = checkMetadata(json[METADATA_KEY], src);
  const tensors = Object.entries(json)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => checkEntry(name, value, src));
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  const dataLength = fileLength - 8 - headerSize;
  let end = 0;
  let previous: string | null = null;
  for (const t of tensors) {
    const [b, e] = t.dataOffsets;
    if (b !== end) {
      const what =
        b < end
          ? `data_offsets overlap those of '${previous}'`
          : `data_offsets leave bytes ${end}..${b} of the buffer uncovered`;
      fail(src, t.name, what, `begin ${end}`, `begin ${b}`);
    }
    if (e > dataLength) {
      fail(
        src,
        t.name,
        'data_offsets beyond the end of the file (truncated file?)',
        `end <= ${dataLength} (the data buffer's length)`,
        `end ${e}`,
      );
    }
    end = e;
    previous = t.name;
  }
  if (end !== dataLength) {
    fail(
      src,
      null,
      'data buffer not covered by the tensors (trailing bytes)',
      `${end} bytes after the header`,
      `${dataLength} bytes`,
    );
  }
  return { headerSize, metadata, tensors };
}
