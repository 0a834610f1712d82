import { ArgumentError, manualSeed, memory, Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { type Batch, DataError, DataLoader, type Dataset, disposeBatch, TensorDataset } from '../src/index';

/** x[i] = [i, i + 0.5] (float32), y[i] = i % 3 (int32). */
function ranged(n: number): TensorDataset {
  return tidy(() => {
    const x = tensor(
      Float32Array.from({ length: 2 * n }, (_, k) => Math.floor(k / 2) + (k % 2) * 0.5),
      {
        shape: [n, 2],
      },
    );
    const y = tensor(Int32Array.from({ length: n }, (_, i) => i % 3));
    return new TensorDataset(x, y);
  });
}

/** The item ids (x[:, 0]) of every batch of one epoch; the batches are disposed. */
function epochIds(dl: Iterable<Batch>): number[][] {
  const out: number[][] = [];
  for (const b of dl) {
    const x = b[0].data();
    out.push(Array.from({ length: b[0].shape[0]! }, (_, i) => x[2 * i]!));
    disposeBatch(b);
  }
  return out;
}

const sorted = (a: number[]): number[] => [...a].sort((p, q) => p - q);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('TensorDataset', () => {
  it('indexes rows of x and y, and outlives its source tensors', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tensor(Int32Array.from([7, 8, 9]));
    const ds = new TensorDataset(x, y);
    x.dispose();
    y.dispose();
    expect(ds.length).toBe(3);
    const [xi, yi] = ds.get(1);
    expect(xi.shape).toEqual([2]);
    expect(Array.from(xi.data())).toEqual([3, 4]);
    expect(yi.shape).toEqual([]);
    expect(yi.dtype).toBe('int32');
    expect(yi.item()).toBe(8);
    disposeBatch([xi, yi]);
    const [xb, yb] = ds.getBatch([2, 0]);
    expect(xb.toArray()).toEqual([
      [5, 6],
      [1, 2],
    ]);
    expect(Array.from(yb.data())).toEqual([9, 7]);
    disposeBatch([xb, yb]);
  });

  it('keeps float16 values bit for bit', () => {
    const bits = Uint16Array.from([0x3c00, 0x0001, 0x7c00, 0xfe00, 0x8000, 0x7bff]);
    const ds = tidy(() => new TensorDataset(Tensor.fromBits(bits, 'float16', [3, 2]), tensor([0, 1, 2])));
    const [xb, yb] = ds.getBatch([2, 0, 1]);
    expect(xb.dtype).toBe('float16');
    expect(xb.shape).toEqual([3, 2]);
    expect(Array.from(xb.bits())).toEqual([0x8000, 0x7bff, 0x3c00, 0x0001, 0x7c00, 0xfe00]);
    expect(yb.dtype).toBe('float32');
    disposeBatch([xb, yb]);
  });

  it('rejects mismatched lengths, scalars and bad indices', () => {
    const x = tensor([1, 2, 3]);
    const y = tensor([1, 2]);
    expect(() => new TensorDataset(x, y)).toThrow(/TensorDataset: expected y length .*3, got 2/);
    const s = tensor(1);
    expect(() => new TensorDataset(s, s)).toThrow(/at least 1 dimension/);
    const ds = new TensorDataset(x, x);
    expect(() => ds.get(3)).toThrow(ArgumentError);
    expect(() => ds.getBatch([0, -1])).toThrow(/index to be an integer in \[0, 3\), got -1/);
    for (const t of [x, y, s]) t.dispose();
  });
});

describe('DataLoader', () => {
  it('batches in order, with a short last batch unless dropLast', () => {
    const ds = ranged(10);
    const dl = new DataLoader(ds, { batchSize: 4 });
    expect(dl.length).toBe(3);
    expect(epochIds(dl)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const dropped = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect(epochIds(dropped)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(new DataLoader(ds, { batchSize: 5, dropLast: true }).length).toBe(2);
    expect(new DataLoader(ranged(0)).length).toBe(0);
    expect(epochIds(new DataLoader(ranged(0)))).toEqual([]);
  });

  it('yields x and y stacked with their dtypes and values', () => {
    const dl = new DataLoader(ranged(7), { batchSize: 3 });
    const batches = [...dl];
    expect(batches.map(([x, y]) => [x.shape, x.dtype, y.shape, y.dtype])).toEqual([
      [[3, 2], 'float32', [3], 'int32'],
      [[3, 2], 'float32', [3], 'int32'],
      [[1, 2], 'float32', [1], 'int32'],
    ]);
    expect(batches[1]![0].toArray()).toEqual([
      [3, 3.5],
      [4, 4.5],
      [5, 5.5],
    ]);
    expect(Array.from(batches[1]![1].data())).toEqual([0, 1, 2]);
    batches.forEach(disposeBatch);
  });

  it('shuffles reproducibly for a seed, with a new permutation each epoch', () => {
    const a = new DataLoader(ranged(50), { batchSize: 8, shuffle: true, seed: 1234 });
    const b = new DataLoader(ranged(50), { batchSize: 8, shuffle: true, seed: 1234 });
    const epochsA = [epochIds(a), epochIds(a), epochIds(a)];
    manualSeed(99); // the seeded loader does not depend on the global generator
    const epochsB = [epochIds(b), epochIds(b), epochIds(b)];
    expect(epochsB).toEqual(epochsA);
    for (const e of epochsA) {
      expect(e.map((x) => x.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
      expect(sorted(e.flat())).toEqual(range(50));
    }
    expect(epochsA[1]).not.toEqual(epochsA[0]);
    expect(epochsA[2]).not.toEqual(epochsA[1]);
    expect(epochsA[0]!.flat()).not.toEqual(range(50));
    const other = new DataLoader(ranged(50), { batchSize: 8, shuffle: true, seed: 1235 });
    expect(epochIds(other)).not.toEqual(epochsA[0]);
  });

  it('without a seed, shuffles from the global generator (reproducible under manualSeed)', () => {
    const dl = new DataLoader(ranged(40), { batchSize: 40, shuffle: true });
    manualSeed(7);
    const first = [epochIds(dl), epochIds(dl)];
    manualSeed(7);
    const again = [epochIds(dl), epochIds(dl)];
    expect(again).toEqual(first);
    expect(first[1]).not.toEqual(first[0]);
    manualSeed(8);
    expect(epochIds(dl)).not.toEqual(first[0]);
  });

  it('draws every permutation about equally often (unbiased Fisher-Yates)', () => {
    const dl = new DataLoader(ranged(3), { batchSize: 3, shuffle: true, seed: 5 });
    const counts = new Map<string, number>();
    for (let e = 0; e < 6000; e++) {
      const key = epochIds(dl)[0]!.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Deterministic (seeded); ±15% is about 5 standard deviations for n = 1000.
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('drops the last partial batch of a shuffled epoch (dropLast)', () => {
    const dl = new DataLoader(ranged(21), { batchSize: 4, shuffle: true, dropLast: true, seed: 3 });
    expect(dl.length).toBe(5);
    const ids = epochIds(dl);
    expect(ids.map((b) => b.length)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(ids.flat()).size).toBe(20);
  });

  it('applies its transforms in order and frees what they drop', () => {
    const dl = new DataLoader(ranged(4), {
      batchSize: 2,
      transforms: [([x, y]) => [x.mul(2), y], ([x, y]) => [x.add(1), y.add(10)]],
    });
    const before = memory().numTensors;
    const [x, y] = dl[Symbol.iterator]().next().value as Batch;
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(Array.from(y.data())).toEqual([10, 11]);
    // Only the final two tensors are alive: the intermediate x*2, the first x and y were disposed.
    expect(memory().numTensors).toBe(before + 2);
    disposeBatch([x, y]);
    expect(memory().numTensors).toBe(before);
  });

  it('disposes the batch when a transform throws', () => {
    const dl = new DataLoader(ranged(4), {
      batchSize: 2,
      transforms: [
        () => {
          throw new Error('boom');
        },
      ],
    });
    const before = memory().numTensors;
    expect(() => [...dl]).toThrow('boom');
    expect(memory().numTensors).toBe(before);
    const bad = new DataLoader(ranged(4), { transforms: [(() => 3) as never] });
    expect(() => [...bad]).toThrow(DataError);
    expect(memory().numTensors).toBe(before);
  });

  it('keeps memory flat over 20 epochs when the consumer disposes or tidies', () => {
    const dl = new DataLoader(ranged(300), {
      batchSize: 32,
      shuffle: true,
      seed: 0,
      transforms: [([x, y]) => [x.mul(0.5), y]],
    });
    const base = memory();
    const seen: [number, number][] = [];
    for (let epoch = 0; epoch < 20; epoch++) {
      if (epoch % 2 === 0) {
        for (const b of dl) {
          tidy(() => {
            b[0].sum().add(b[1].sum());
          });
          disposeBatch(b);
        }
      } else {
        tidy(() => {
          for (const [x] of dl) x.mean();
        });
      }
      const m = memory();
      seen.push([m.numTensors - base.numTensors, m.numBytes - base.numBytes]);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, () => [0, 0]));
  });

  it('collates [x, y] items of a plain dataset into one batch, freeing the tensors get() made', () => {
    const ds: Dataset<[Tensor, number]> = {
      length: 5,
      get: (i) => [tensor([i, -i, 2 * i]), i * 2],
    };
    const dl = new DataLoader(ds, { batchSize: 3 });
    const before = memory().numTensors;
    const [x, y] = dl[Symbol.iterator]().next().value as Batch;
    expect(memory().numTensors).toBe(before + 2);
    expect(x.shape).toEqual([3, 3]);
    expect(x.toArray()).toEqual([
      [0, -0, 0],
      [1, -1, 2],
      [2, -2, 4],
    ]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data())).toEqual([0, 2, 4]);
    disposeBatch([x, y]);
  });

  it('makes float32 targets from fractional numbers, typed arrays keep their dtype', () => {
    const ds: Dataset<[Float64Array, number]> = {
      length: 2,
      get: (i) => [Float64Array.of(i, i + 1), i + 0.25],
    };
    const [x, y] = [...new DataLoader(ds)][0]!;
    expect([x.dtype, x.shape, y.dtype]).toEqual(['float64', [2, 2], 'float32']);
    expect(Array.from(y.data())).toEqual([0.25, 1.25]);
    disposeBatch([x, y]);
  });

  it('refuses a fraction in a column the first batch made int32', () => {
    const ds: Dataset<[number, number]> = { length: 4, get: (i) => [i, i < 2 ? 1 : 1.5] };
    const dl = new DataLoader(ds, { batchSize: 2 });
    expect(() => [...dl].forEach(disposeBatch)).toThrow(/y = 1.5 is not a whole number.*int32/);
  });

  it('explains items it cannot stack', () => {
    const ragged: Dataset<[Float32Array, number]> = { length: 2, get: (i) => [new Float32Array(i + 1), 0] };
    expect(() => [...new DataLoader(ragged)]).toThrow(
      /item 1 of the batch: expected x of dtype float32 and shape \[1\] like item 0, got float32 \[2\]/,
    );
    const notPair: Dataset<number> = { length: 1, get: () => 3 };
    expect(() => [...new DataLoader(notPair)]).toThrow(/expected \[x, y\] \(a pair\), got number 3/);
    const strings: Dataset<[string, number]> = { length: 1, get: () => ['a', 0] };
    expect(() => [...new DataLoader(strings)]).toThrow(DataError);
  });

  it('uses a custom collate when given', () => {
    const ds: Dataset<number> = { length: 3, get: (i) => i };
    const dl = new DataLoader(ds, {
      batchSize: 3,
      collate: (items) => [tensor(items), tensor(Int32Array.from(items, (v) => v * 3))],
    });
    const [x, y] = [...dl][0]!;
    expect(Array.from(x.data())).toEqual([0, 1, 2]);
    expect(Array.from(y.data())).toEqual([0, 3, 6]);
    disposeBatch([x, y]);
  });

  it('checks its arguments', () => {
    const ds = ranged(3);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(
      /DataLoader: expected batchSize to be a positive integer, got 0/,
    );
    expect(() => new DataLoader(ds, { batchSize: 1.5 })).toThrow(ArgumentError);
    expect(() => new DataLoader(ds, { seed: -1 })).toThrow(/seed/);
    expect(() => new DataLoader(ds, { shuffle: 'yes' as never })).toThrow(/shuffle/);
    expect(() => new DataLoader({} as never)).toThrow(/expected dataset to be a Dataset/);
    expect(() => new DataLoader(ds, { transforms: [3 as never] })).toThrow(/transforms/);
  });
});
