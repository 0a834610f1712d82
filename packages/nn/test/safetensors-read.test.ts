import { memory } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensorsHeader, SafetensorsError } from '../src/index';
import { DTYPE_OF, expectedFixtures, fileOf, fixtureBytes, hexOf } from './helpers/safetensors';

const expected = expectedFixtures();

function errorOf(fn: () => unknown): SafetensorsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError');
}

describe('parseSafetensors on files written from PyTorch values', () => {
  for (const name of ['reference', 'batchnorm']) {
    it(`${name}: every tensor's dtype, shape and bytes`, () => {
      const loaded = parseSafetensors(fixtureBytes(name));
      const want = expected[name]!.tensors;
      expect(Object.keys(loaded).sort()).toEqual(Object.keys(want).sort());
      for (const [key, t] of Object.entries(loaded)) {
        const w = want[key]!;
        expect(t.dtype, key).toBe(DTYPE_OF[w.dtype]);
        expect(t.shape, key).toEqual(w.shape);
        if (w.dtype !== 'I64') expect(hexOf(t), key).toBe(w.hex);
        t.dispose();
      }
    });
  }

  it('returns the tensors in the order of their data (the writer order)', () => {
    const header = readSafetensorsHeader(fixtureBytes('reference'));
    const loaded = parseSafetensors(fixtureBytes('reference'));
    expect(Object.keys(loaded)).toEqual(header.tensors.map((t) => t.name));
    expect(header.tensors.slice(0, 3).map((t) => t.dtype)).toEqual(['F64', 'F64', 'F32']);
    for (const t of Object.values(loaded)) t.dispose();
  });

  it("loads PyTorch's int64 num_batches_tracked as int32", () => {
    const bn = parseSafetensors(fixtureBytes('batchnorm'));
    expect(bn.num_batches_tracked!.dtype).toBe('int32');
    expect(bn.num_batches_tracked!.shape).toEqual([]);
    expect(bn.num_batches_tracked!.item()).toBe(1);
    for (const t of Object.values(bn)) t.dispose();
  });

  it('refuses an int64 beyond int32 and frees what it had loaded', () => {
    const before = memory().numTensors;
    const e = errorOf(() => parseSafetensors(fixtureBytes('i64_overflow')));
    expect(e.tensor).toBe('steps');
    expect(e.message).toContain('1099511627776 at flat index 1');
    expect(e.message).toContain('int32');
    expect(memory().numTensors).toBe(before);
  });

  it('reads the metadata and the header alone', () => {
    const h = readSafetensorsHeader(fixtureBytes('batchnorm'));
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.headerSize % 8).toBe(0);
    const nbt = h.tensors.find((t) => t.name === 'num_batches_tracked')!;
    expect(nbt).toMatchObject({ dtype: 'I64', shape: [] });
    expect(nbt.dataOffsets[1] - nbt.dataOffsets[0]).toBe(8);
  });

  it("keeps a tensor named '__proto__' as an own key", () => {
    const f = fileOf('{"__proto__":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4));
    const loaded = parseSafetensors(f);
    expect(Object.keys(loaded)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
    for (const t of Object.values(loaded)) t.dispose();
  });

  it('reads tensors at offsets that are not multiples of their itemsize', () => {
    const data = new Uint8Array(1 + 4);
    data[0] = 1;
    new DataView(data.buffer).setFloat32(1, 2.5, true);
    const header =
      '{"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"F32","shape":[],"data_offsets":[1,5]}}';
    const loaded = parseSafetensors(fileOf(header, data));
    expect(loaded.x!.item()).toBe(2.5);
    expect(loaded.b!.item()).toBe(true);
    for (const t of Object.values(loaded)) t.dispose();
  });
});

describe('parseSafetensors refuses malformed files with the tensor, expected and actual', () => {
  const f32 = (name: string, b: number, e: number, shape = '[1]') =>
    `"${name}":{"dtype":"F32","shape":${shape},"data_offsets":[${b},${e}]}`;
  const cases: [string, Uint8Array, string | null, RegExp][] = [
    [
      'shorter than the size prefix',
      new Uint8Array(5),
      null,
      /truncated file: expected at least 8 bytes.*got 5 bytes/,
    ],
    [
      'header size beyond the file',
      fileOf('{}', new Uint8Array(0), 100n),
      null,
      /header size beyond the end of the file.*expected at most 2 bytes, got 100 bytes/,
    ],
    [
      'header size above the format limit',
      fileOf('{}', new Uint8Array(0), 2n ** 40n),
      null,
      /header size: expected at most 100000000 bytes/,
    ],
    ['invalid JSON', fileOf('{"a":'), null, /header: expected valid JSON/],
    ['a header that is not an object', fileOf('[1,2]'), null, /header: expected a JSON object, got \[1,2\]/],
    ['invalid UTF-8', fileOf('{"\xff":1}').map((b, i) => (i === 10 ? 0xff : b)), null, /expected UTF-8 text/],
    [
      'an unknown dtype',
      fileOf('{"w":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
      'w',
      /unknown dtype: expected one of F32, F16, BF16, F64, I32, BOOL, I64, got F17/,
    ],
    [
      'a format dtype Mantissa has no type for',
      fileOf('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', new Uint8Array(4)),
      'w',
      /unsupported dtype.*got U8/,
    ],
    [
      'a negative shape',
      fileOf('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)),
      'w',
      /shape: expected an array of non-negative integers/,
    ],
    [
      'too many dims',
      fileOf('{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}', new Uint8Array(4)),
      'w',
      /at most 8 dims/,
    ],
    [
      'shape x itemsize != byte length',
      fileOf(`{${f32('w', 0, 8, '[3]')}}`, new Uint8Array(8)),
      'w',
      /byte length \(shape \[3\] x 4 bytes of F32\): expected 12 bytes, got 8 bytes/,
    ],
    [
      'end before begin',
      fileOf(`{${f32('w', 8, 4)}}`, new Uint8Array(8)),
      'w',
      /data_offsets: expected begin <= end/,
    ],
    [
      'overlapping offsets',
      fileOf(`{${f32('a', 0, 4)},${f32('b', 2, 6)}}`, new Uint8Array(6)),
      'b',
      /overlap those of 'a': expected begin 4, got begin 2/,
    ],
    [
      'a gap between tensors',
      fileOf(`{${f32('a', 0, 4)},${f32('b', 8, 12)}}`, new Uint8Array(12)),
      'b',
      /leave bytes 4..8 of the buffer uncovered/,
    ],
    [
      'data beyond the end of the file',
      fileOf(`{${f32('a', 0, 4)},${f32('b', 4, 8)}}`, new Uint8Array(6)),
      'b',
      /beyond the end of the file \(truncated file\?\): expected end <= 6 \(the data buffer's length\), got end 8/,
    ],
    [
      'trailing bytes',
      fileOf(`{${f32('a', 0, 4)}}`, new Uint8Array(7)),
      null,
      /trailing bytes\): expected 4 bytes after the header, got 7 bytes/,
    ],
    [
      'a duplicate name',
      fileOf(`{${f32('a', 0, 4)},${f32('a', 4, 8)}}`, new Uint8Array(8)),
      'a',
      /duplicate name in header/,
    ],
    [
      'bad data_offsets',
      fileOf('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', new Uint8Array(4)),
      'w',
      /data_offsets: expected \[begin, end\]/,
    ],
    [
      'a non-string metadata value',
      fileOf('{"__metadata__":{"epoch":3}}'),
      null,
      /__metadata__ value of 'epoch': expected a string, got 3/,
    ],
  ];
  for (const [what, bytes, tensor, message] of cases) {
    it(what, () => {
      const e = errorOf(() => parseSafetensors(bytes));
      expect(e.message).toMatch(message);
      expect(e.message.startsWith('parseSafetensors: <memory>')).toBe(true);
      expect(e.tensor).toBe(tensor);
      expect(e.file).toBe('<memory>');
    });
  }

  it('truncating the reference file anywhere is an error, never a crash', () => {
    const full = fixtureBytes('reference');
    for (const cut of [0, 7, 8, 100, full.length - 8, full.length - 1]) {
      expect(() => parseSafetensors(full.subarray(0, cut))).toThrow(SafetensorsError);
    }
  });

  it('refuses bytes that are not a Uint8Array', () => {
    expect(() => parseSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(/expected a Uint8Array/);
  });
});
