import { crc32, deflateSync } from 'node:zlib';

/**
 * A minimal PNG writer (no filtering, not interlaced) for bit depths and colour types the fixture
 * generator cannot make: samples are given per pixel and packed MSB first, 16-bit big-endian.
 */
export function rawPng(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  samples: number[],
): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
  const rowBits = width * channels * depth;
  const rowBytes = Math.ceil(rowBits / 8);
  const raw = Buffer.alloc(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1; // filter byte 0 (none) before each row
    for (let s = 0; s < width * channels; s++) {
      const v = samples[y * width * channels + s]!;
      if (depth === 16) raw.writeUInt16BE(v, row + 2 * s);
      else if (depth === 8) raw[row + s] = v;
      else {
        const bit = s * depth;
        raw[row + (bit >> 3)]! |= v << (8 - depth - (bit & 7));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
