import { ArgumentError, memory, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { type Batch, DataBunch, DataLoader, type Dataset, disposeBatch, TensorDataset } from '../src/index';

function ds(n: number): TensorDataset {
  return tidy(
    () =>
      new TensorDataset(
        tensor(
          Float32Array.from({ length: n }, (_, i) => i),
          { shape: [n, 1] },
        ),
        tensor(Int32Array.from({ length: n }, (_, i) => i % 2)),
      ),
  );
}

function firstX(loader: Iterable<Batch>): number[][] {
  const out: number[][] = [];
  for (const b of loader) {
    out.push(Array.from(b[0].data()));
    disposeBatch(b);
  }
  return out;
}

describe('DataBunch', () => {
  it('create: a shuffled training loader without its last partial batch, an ordered whole validation loader', () => {
    const data = DataBunch.create(ds(100), ds(30), { bs: 16, seed: 1 });
    expect(data.train.length).toBe(6);
    expect(data.train.dl.shuffle).toBe(true);
    expect(data.train.dl.dropLast).toBe(true);
    expect(data.valid.length).toBe(2);
    expect(data.valid.dl.shuffle).toBe(false);
    expect(data.valid.dl.dropLast).toBe(false);
    expect(data.valid.batchSize).toBe(16);
    const train = firstX(data.train);
    expect(train.map((b) => b.length)).toEqual([16, 16, 16, 16, 16, 16]);
    expect(train.flat()).not.toEqual([...train.flat()].sort((a, b) => a - b));
    expect(firstX(data.valid)).toEqual([
      Array.from({ length: 16 }, (_, i) => i),
      Array.from({ length: 14 }, (_, i) => i + 16),
    ]);
    expect(DataBunch.create(ds(10), ds(10), { bs: 4, valBs: 8 }).valid.batchSize).toBe(8);
    expect(DataBunch.create(ds(130), ds(10)).train.length).toBe(2); // bs 64 by default
  });

  it('applies its transforms to both loaders after the loaders own, in order', () => {
    const trainDl = new DataLoader(ds(4), { batchSize: 4, transforms: [([x, y]) => [x.add(1), y]] });
    const validDl = new DataLoader(ds(2), { batchSize: 4 });
    const data = new DataBunch(trainDl, validDl, { transforms: [([x, y]) => [x.mul(10), y]] });
    const half = ([x, y]: Batch): Batch => [x.half(), y];
    data.addTransform(half);
    expect(data.transforms).toHaveLength(2);
    const before = memory().numTensors;
    const [x, y] = data.train[Symbol.iterator]().next().value as Batch;
    expect(memory().numTensors).toBe(before + 2);
    expect(x.dtype).toBe('float16');
    expect(Array.from(x.data())).toEqual([10, 20, 30, 40]);
    expect(y.dtype).toBe('int32');
    disposeBatch([x, y]);
    expect(firstX(data.valid)).toEqual([[0, 10]]);
    expect(data.removeTransform(half)).toBe(true);
    expect(data.removeTransform(half)).toBe(false);
    const [xv] = [...data.valid][0]!;
    expect(xv.dtype).toBe('float32');
    xv.dispose();
    expect(memory().numTensors).toBe(before + 1);
  });

  it('reads classes, c and the loss hint from the training set, or from its options', () => {
    const labelled: Dataset & { classes: string[]; lossFunc: string } = {
      length: 0,
      get: () => [0, 0],
      classes: ['cat', 'dog', 'eel'],
      lossFunc: 'crossEntropy',
    };
    const data = DataBunch.create(labelled, labelled);
    expect(data.classes).toEqual(['cat', 'dog', 'eel']);
    expect(data.c).toBe(3);
    expect(data.lossFunc).toBe('crossEntropy');
    const plain = DataBunch.create(ds(4), ds(4), { c: 2, lossFunc: 'mse', path: '/tmp/x' });
    expect([plain.classes, plain.c, plain.lossFunc, plain.path]).toEqual([undefined, 2, 'mse', '/tmp/x']);
  });

  it('checks its arguments', () => {
    const dl = new DataLoader(ds(2));
    expect(() => new DataBunch(ds(2) as never, dl)).toThrow(/DataBunch: expected trainDl to be a DataLoader/);
    expect(() => new DataBunch(dl, dl, { c: 0 })).toThrow(ArgumentError);
    expect(() => new DataBunch(dl, dl).addTransform(3 as never)).toThrow(/addTransform/);
  });
});
