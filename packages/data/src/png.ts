import { PNG } from 'pngjs';
import { DataError, reason } from './errors';

/**
 * A decoded image as PIL's `convert('RGB')` gives it: 3 channels, channel-planar (CHW), alpha dropped.
 * 8-bit sources (and palettes, and 1/2/4-bit grey scaled up as PNG defines) come as bytes; 16-bit
 * sources come as float32 values already divided by 65535 (their full precision, where PIL would clip
 * or truncate them to 8 bits).
 */
export type DecodedImage =
  | { readonly width: number; readonly height: number; readonly depth: 8; readonly data: Uint8Array }
  | { readonly width: number; readonly height: number; readonly depth: 16; readonly data: Float32Array };

interface PngMetadata {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  transColor?: number[];
  data: Uint8Array | Uint16Array;
}

const PALETTE = 3;

/** Decodes a PNG of any colour type and bit depth (through pngjs); `file` names it in errors. */
export function decodePng(bytes: Uint8Array, file: string): DecodedImage {
  let png: PngMetadata;
  try {
    const buffer = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // skipRescale: keep 16-bit samples whole and sub-byte samples raw; they are scaled below.
    png = PNG.sync.read(buffer, { skipRescale: true }) as unknown as PngMetadata;
  } catch (e) {
    throw new DataError('decodePng', `cannot decode ${file} as a PNG image: ${reason(e)}`, {
      file,
      cause: e,
    });
  }
  const { width, height, depth, colorType, transColor, data } = png;
  const n = width * height;
  if (data.length !== 4 * n) {
    throw new DataError(
      'decodePng',
      `cannot decode ${file}: expected ${4 * n} RGBA samples, got ${data.length}`,
      {
        file,
      },
    );
  }
  // pngjs zeroes all four samples of a pixel that matches the tRNS colour; PIL keeps its colour (and
  // convert('RGB') drops the transparency), so those pixels get their colour back.
  const restore = colorType !== PALETTE && transColor !== undefined;
  const trans = restore
    ? transColor.length === 1
      ? [transColor[0]!, transColor[0]!, transColor[0]!]
      : transColor
    : [];
  if (depth === 16 && colorType !== PALETTE) {
    const out = new Float32Array(3 * n);
    for (let p = 0; p < n; p++) {
      const transparent = restore && data[4 * p + 3] === 0;
      for (let c = 0; c < 3; c++) out[c * n + p] = (transparent ? trans[c]! : data[4 * p + c]!) / 65535;
    }
    return { width, height, depth: 16, data: out };
  }
  // PNG scales a sub-byte sample v of depth d to 8 bits as v * 255 / (2^d - 1) (exact for d = 1, 2, 4).
  const scale = colorType === PALETTE || depth === 8 ? 1 : 255 / (2 ** depth - 1);
  const out = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) {
    const transparent = restore && data[4 * p + 3] === 0;
    for (let c = 0; c < 3; c++) out[c * n + p] = (transparent ? trans[c]! : data[4 * p + c]!) * scale;
  }
  return { width, height, depth: 8, data: out };
}

/** Encodes 8-bit grey pixels (row-major, width × height) as a grey PNG (mode L, as fastai's files). */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return PNG.sync.write({ width, height, data } as PNG, {
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
    bitDepth: 8,
    // No row filter and zlib's default level: for MNIST digits both the smallest files and the fastest.
    filterType: 0,
    deflateLevel: 6,
  });
}
