import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BYTE_TO_UNIT, DataError, decodePng, encodeGrayPng } from '../src/index';
import { rawPng } from './helpers/raw-png';

interface Case {
  file: string;
  mode: string;
  width: number;
  height: number;
  rgb?: number[];
  raw16?: number[];
}
const dir = join(__dirname, 'fixtures');
const fixture = JSON.parse(readFileSync(join(dir, 'png.json'), 'utf8')) as {
  cases: Case[];
  div255: number[];
};

/** HWC bytes (PIL's layout) as CHW (Mantissa's). */
function chw(hwc: number[], n: number): number[] {
  return [0, 1, 2].flatMap((c) => Array.from({ length: n }, (_, p) => hwc[3 * p + c]!));
}

describe('decodePng', () => {
  for (const c of fixture.cases) {
    it(`${c.file} (PIL mode ${c.mode}) decodes as PIL's convert('RGB')`, () => {
      const img = decodePng(readFileSync(join(dir, 'png', c.file)), c.file);
      expect([img.width, img.height]).toEqual([c.width, c.height]);
      const n = c.width * c.height;
      if (c.raw16 !== undefined) {
        // 16-bit grey: kept whole, v / 65535 in every channel (PIL would clip it to 8 bits).
        expect(img.depth).toBe(16);
        const expected = Float32Array.from([0, 1, 2].flatMap(() => c.raw16!.map((v) => v / 65535)));
        expect(Array.from(img.data)).toEqual(Array.from(expected));
      } else {
        expect(img.depth).toBe(8);
        expect(Array.from(img.data)).toEqual(chw(c.rgb!, n));
      }
    });
  }

  it('scales 2-bit grey to bytes as PNG defines (v * 85)', () => {
    const samples = [0, 1, 2, 3, 3, 2, 1, 0, 1, 1];
    const img = decodePng(rawPng(5, 2, 2, 0, samples), 'grey2.png');
    expect(Array.from(img.data)).toEqual([0, 1, 2].flatMap(() => samples.map((v) => v * 85)));
  });

  it('keeps 16-bit RGB whole (v / 65535), channel-planar', () => {
    const samples = [0, 1, 65535, 256, 257, 40000, 12345, 65534, 2];
    const img = decodePng(rawPng(3, 1, 16, 2, samples), 'rgb16.png');
    expect(img.depth).toBe(16);
    const planar = [0, 1, 2].flatMap((c) => [0, 1, 2].map((p) => Math.fround(samples[3 * p + c]! / 65535)));
    expect(Array.from(img.data)).toEqual(planar);
  });

  it('names the file when the bytes are not a valid PNG', () => {
    const good = rawPng(2, 2, 8, 0, [1, 2, 3, 4]);
    const bad: [string, Uint8Array][] = [
      ['empty.png', new Uint8Array(0)],
      ['text.png', Buffer.from('not a png at all')],
      ['truncated.png', good.subarray(0, good.length - 20)],
      ['crc.png', Buffer.from(good).fill(0x41, 37, 39)],
    ];
    for (const [name, bytes] of bad) {
      let err: unknown;
      try {
        decodePng(bytes, `/data/${name}`);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(DataError);
      expect((err as DataError).file).toBe(`/data/${name}`);
      expect((err as DataError).message).toMatch(
        new RegExp(`^decodePng: cannot decode /data/${name} as a PNG image: .+`),
      );
    }
  });
});

describe('encodeGrayPng', () => {
  it('writes 8-bit grey PNGs that decode to the same bytes', () => {
    const pixels = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256);
    const png = encodeGrayPng(pixels, 28, 28);
    expect([png[24], png[25]]).toEqual([8, 0]); // IHDR: bit depth 8, colour type 0 (grey, PIL mode L)
    const img = decodePng(png, 'x.png');
    expect(Array.from(img.data)).toEqual([...pixels, ...pixels, ...pixels]);
  });
});

describe('BYTE_TO_UNIT', () => {
  it("is torch's uint8.float().div_(255), bit for bit", () => {
    expect(Array.from(new Int32Array(BYTE_TO_UNIT.buffer))).toEqual(fixture.div255);
  });
});
