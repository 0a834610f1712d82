import { type DType, isTensor, type Tensor } from '@mantissa/tensor';
import type { Batch } from './batch';
import { DataError } from './errors';
import { type HostValues, hostValues, Scratch, upload } from './host';

/** One part (input or target) of a dataset item that the default collate can stack. */
export type ItemPart = Tensor | number | Float32Array | Float64Array | Int32Array;
/** A dataset item the default collate understands: `[x, y]`. */
export type Item = readonly [x: ItemPart, y: ItemPart];

interface PartInfo {
  dtype: DType;
  shape: readonly number[];
  size: number;
}

/**
 * Stacks `[x, y]` items into one batch, writing each part straight into one buffer per column.
 *
 * Tensors keep their dtype; Float32Array, Float64Array and Int32Array give float32, float64 and int32
 * (1-D). Plain numbers have no int/float distinction in JavaScript, so the first batch decides: whole
 * numbers make int32 (class indices, as torch makes int64 from Python ints), anything else float32;
 * the choice then holds for the loader's life, and a later fraction in an int32 column is an error
 * rather than a silently truncated target.
 */
export class DefaultCollate {
  private readonly numberDTypes: [DType | null, DType | null] = [null, null];
  private readonly scratch = [new Scratch(), new Scratch()] as const;

  collate(items: readonly unknown[]): Batch {
    if (items.length === 0) throw new DataError('collate', 'cannot collate an empty list of items');
    const x = this.column(items, 0);
    try {
      return [x, this.column(items, 1)];
    } catch (e) {
      x.dispose();
      throw e;
    }
  }

  private column(items: readonly unknown[], part: 0 | 1): Tensor {
    const name = part === 0 ? 'x' : 'y';
    const info = this.info(items, part);
    const out = this.scratch[part].take(info.dtype, items.length * info.size);
    for (let i = 0; i < items.length; i++) {
      const v = partOf(items[i], i, part);
      const where = `item ${i} of the batch`;
      if (typeof v === 'number') {
        const numeric = info.dtype === 'int32' || info.dtype === 'float32' || info.dtype === 'float64';
        if (info.shape.length !== 0 || !numeric) throw mismatch(where, name, info, [], 'number');
        if (info.dtype === 'int32' && !Number.isInteger(v)) {
          throw new DataError(
            'collate',
            `${where}: ${name} = ${v} is not a whole number, but earlier batches made ${name} int32 ` +
              '(pass targets as a Float32Array or a Tensor, or give the DataLoader a collate function)',
          );
        }
        out[i] = v;
        continue;
      }
      const { dtype, shape, values } = describe(v, where, name);
      if (dtype !== info.dtype || !sameShape(shape, info.shape))
        throw mismatch(where, name, info, shape, dtype);
      (out as Float32Array).set(values as Float32Array, i * info.size);
    }
    return upload(out, info.dtype, [items.length, ...info.shape]);
  }

  private info(items: readonly unknown[], part: 0 | 1): PartInfo {
    const first = partOf(items[0], 0, part);
    if (typeof first !== 'number') {
      const { dtype, shape } = describe(first, 'item 0 of the batch', part === 0 ? 'x' : 'y');
      return { dtype, shape, size: shape.reduce((a, b) => a * b, 1) };
    }
    let dtype = this.numberDTypes[part];
    if (dtype === null) {
      const whole = items.every((it, i) => {
        const v = partOf(it, i, part);
        return typeof v !== 'number' || Number.isInteger(v);
      });
      dtype = whole ? 'int32' : 'float32';
      this.numberDTypes[part] = dtype;
    }
    return { dtype, shape: [], size: 1 };
  }
}

function partOf(item: unknown, i: number, part: 0 | 1): unknown {
  if (!Array.isArray(item) || item.length !== 2) {
    throw new DataError(
      'collate',
      `item ${i} of the batch: expected [x, y] (a pair), got ${describeValue(item)} ` +
        '(give the DataLoader a collate function for other items)',
    );
  }
  return item[part];
}

function describe(
  v: unknown,
  where: string,
  name: string,
): { dtype: DType; shape: readonly number[]; values: HostValues } {
  if (isTensor(v)) {
    v.assertLive('collate');
    return { dtype: v.dtype, shape: v.shape, values: hostValues(v) };
  }
  if (v instanceof Float32Array) return { dtype: 'float32', shape: [v.length], values: v };
  if (v instanceof Float64Array) return { dtype: 'float64', shape: [v.length], values: v };
  if (v instanceof Int32Array) return { dtype: 'int32', shape: [v.length], values: v };
  throw new DataError(
    'collate',
    `${where}: expected ${name} to be a Tensor, a number, a Float32Array, Float64Array or Int32Array, ` +
      `got ${describeValue(v)}`,
  );
}

function mismatch(
  where: string,
  name: string,
  info: PartInfo,
  shape: readonly number[],
  dtype: string,
): DataError {
  return new DataError(
    'collate',
    `${where}: expected ${name} of dtype ${info.dtype} and shape [${info.shape.join(', ')}] like item 0, ` +
      `got ${dtype} [${shape.join(', ')}]`,
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? `an object` : `${typeof v} ${String(v)}`;
}
