import { describe, expect, it } from 'vitest';
import { DataError, mnistSplit, parseIdx } from '../src/index';

function idx(type: number, dims: number[], data: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function error(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

describe('parseIdx', () => {
  it('reads big-endian sizes and the data after the header', () => {
    const a = parseIdx(idx(8, [2, 3], [1, 2, 3, 4, 5, 6]), 'a');
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseIdx(idx(8, [300], new Uint8Array(300)), 'b').dims).toEqual([300]);
  });

  it('rejects bad magic numbers, types and sizes, naming the file', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(2), /expected at least 4 bytes, got 2/],
      [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /magic number to start with 0x0000, got 0x0100/],
      [idx(0x0d, [1], [0, 0, 0, 0]), /data type 0x08 \(unsigned byte\), got 0x0d/],
      [idx(8, [], []), /at least 1 dimension/],
      [idx(8, [2, 2], [1, 2, 3]), /expected 4 data bytes for dimensions \[2, 2\], got 3/],
      [idx(8, [2], [1, 2, 3]), /expected 2 data bytes for dimensions \[2\], got 3/],
      [Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1]), /expected a 12-byte header for 2 dimensions, got 8 bytes/],
    ];
    for (const [bytes, message] of cases) {
      const e = error(() => parseIdx(bytes, '/mnist/x-idx'));
      expect(e.message).toMatch(/^parseIdx: \/mnist\/x-idx is not a valid IDX file: /);
      expect(e.message).toMatch(message);
      expect(e.file).toBe('/mnist/x-idx');
    }
  });
});

describe('mnistSplit', () => {
  const images = (n: number, r = 28, c = 28): Uint8Array => idx(8, [n, r, c], new Uint8Array(n * r * c));
  const labels = (values: number[]): Uint8Array => idx(8, [values.length], values);

  it('pairs images with labels', () => {
    const s = mnistSplit(images(3), 'i', labels([3, 7, 9]), 'l', 3);
    expect([s.count, s.rows, s.cols, s.images.length, Array.from(s.labels)]).toEqual([
      3,
      28,
      28,
      3 * 784,
      [3, 7, 9],
    ]);
  });

  it('checks shapes, counts and labels against MNIST', () => {
    expect(error(() => mnistSplit(images(2, 28, 27), 'i', labels([1, 2]), 'l', 2)).message).toMatch(
      /i: expected MNIST images of shape \[n, 28, 28\], got \[2, 28, 27\]/,
    );
    expect(error(() => mnistSplit(images(2), 'i', idx(8, [2, 1], [1, 2]), 'l', 2)).file).toBe('l');
    expect(error(() => mnistSplit(images(2), 'i', labels([1, 2]), 'l', 3)).message).toMatch(
      /i: expected 3 MNIST items, got 2/,
    );
    expect(error(() => mnistSplit(images(3), 'i', labels([1, 2]), 'l', 3)).message).toMatch(
      /l: expected 3 MNIST items, got 2/,
    );
    expect(error(() => mnistSplit(images(2), 'i', labels([1, 12]), 'l', 2)).message).toMatch(
      /l: expected digit labels 0..9, got 12 at index 1/,
    );
  });
});
