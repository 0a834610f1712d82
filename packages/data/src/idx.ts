import { DataError } from './errors';

/** An IDX array of unsigned bytes (the format of the MNIST files): its dimensions and its data. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UBYTE = 0x08;

/**
 * Parses an IDX file of unsigned bytes: magic 0x0000 0x08 ndim, ndim big-endian uint32 sizes, then the
 * data, whose length must be the product of the sizes. `file` names the source in errors.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const fail = (what: string): never => {
    throw new DataError('parseIdx', `${file} is not a valid IDX file: ${what}`, { file });
  };
  if (bytes.length < 4) fail(`expected at least 4 bytes, got ${bytes.length}`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`expected the magic number to start with 0x0000, got 0x${hex(bytes[0]!)}${hex(bytes[1]!)}`);
  }
  if (bytes[2] !== UBYTE) fail(`expected data type 0x08 (unsigned byte), got 0x${hex(bytes[2]!)}`);
  const ndim = bytes[3]!;
  if (ndim < 1) fail('expected at least 1 dimension, got 0');
  const header = 4 + 4 * ndim;
  if (bytes.length < header)
    fail(`expected a ${header}-byte header for ${ndim} dimensions, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  if (bytes.length - header !== count) {
    fail(`expected ${count} data bytes for dimensions [${dims.join(', ')}], got ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Images [n, rows, cols] and their labels [n] from a pair of MNIST IDX files, checked against each other. */
export interface MnistSplit {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

export function mnistSplit(
  images: Uint8Array,
  imagesFile: string,
  labels: Uint8Array,
  labelsFile: string,
  expectedCount: number,
): MnistSplit {
  const op = 'mnistSplit';
  const img = parseIdx(images, imagesFile);
  const lab = parseIdx(labels, labelsFile);
  if (img.dims.length !== 3 || img.dims[1] !== 28 || img.dims[2] !== 28) {
    throw new DataError(
      op,
      `${imagesFile}: expected MNIST images of shape [n, 28, 28], got [${img.dims.join(', ')}]`,
      {
        file: imagesFile,
      },
    );
  }
  if (lab.dims.length !== 1) {
    throw new DataError(op, `${labelsFile}: expected 1 dimension of labels, got [${lab.dims.join(', ')}]`, {
      file: labelsFile,
    });
  }
  for (const [file, n] of [
    [imagesFile, img.dims[0]!],
    [labelsFile, lab.dims[0]!],
  ] as const) {
    if (n !== expectedCount) {
      throw new DataError(op, `${file}: expected ${expectedCount} MNIST items, got ${n}`, { file });
    }
  }
  const bad = lab.data.findIndex((v) => v > 9);
  if (bad >= 0) {
    throw new DataError(
      op,
      `${labelsFile}: expected digit labels 0..9, got ${lab.data[bad]} at index ${bad}`,
      {
        file: labelsFile,
      },
    );
  }
  return { count: expectedCount, rows: 28, cols: 28, images: img.data, labels: lab.data };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
