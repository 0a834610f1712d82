import {
  ArgumentError,
  DisposedError,
  DTypeError,
  memory,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  bceWithLogits,
  ClassIndexError,
  type ClassLossOptions,
  crossEntropy,
  mseLoss,
  NnError,
  nllLoss,
} from '../src/index';
import {
  expectClose,
  fromFixture,
  type LossCase,
  loadLossCases,
  runLoss,
  type Tolerance,
} from './helpers/loss-fixtures';

const cases = loadLossCases();

// Sums run in a different order than PyTorch's (a few ulps); elementwise results are exact except
// the fused cross-entropy's log-sum-exp. bceWithLogits is held to the float64 value (see
// gen_losses.py) within float32 rounding of its terms (x*y cancels against max(x, 0)).
function tolerance(c: LossCase): Tolerance {
  const reduced = c.options.reduction !== 'none';
  if (c.expected.dtype === 'float64') return { rtol: 1e-12, atol: 1e-14 };
  switch (c.op) {
    case 'crossEntropy':
      return { ulps: 4 };
    case 'nllLoss':
    case 'mseLoss':
      return { ulps: reduced ? 2 : 0 };
    case 'bceWithLogits':
      return { rtol: 2e-6, atol: 2e-6 };
  }
}

describe('losses match PyTorch (losses.json)', () => {
  for (const c of cases) {
    it(`${c.op}: ${c.options.name}`, () => {
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v)]));
      const out = runLoss(c, inputs);
      expectClose(out, c.exact ?? c.expected, tolerance(c), `${c.op} ${c.options.name}`);
      if (c.exact !== undefined) {
        // PyTorch 1.13's own float32 value, which loses tails below float32 epsilon.
        expectClose(out, c.expected, { rtol: 4e-6, atol: 2e-7 }, `${c.op} ${c.options.name} (torch f32)`);
      }
      out.dispose();
      for (const t of Object.values(inputs)) t.dispose();
    });
  }

  it('covers every op, reduction and input dtype', () => {
    for (const op of ['crossEntropy', 'nllLoss', 'mseLoss', 'bceWithLogits']) {
      const mine = cases.filter((c) => c.op === op);
      expect(new Set(mine.map((c) => c.options.reduction ?? 'mean'))).toEqual(
        new Set(['none', 'mean', 'sum']),
      );
      expect(new Set(mine.map((c) => c.inputs.x!.dtype))).toEqual(
        new Set(['float32', 'float16', 'bfloat16', 'float64']),
      );
    }
  });
});

describe('loss results are float32 whatever the input dtype', () => {
  for (const dtype of ['float16', 'bfloat16', 'float32'] as const) {
    it(dtype, () => {
      const x = tensor([[0.5, -1, 2]], { dtype });
      const y = tensor([[1, 0, 1]], { dtype });
      const t = tensor(new Int32Array([2]));
      for (const out of [
        crossEntropy(x, t),
        nllLoss(x, t, { reduction: 'none' }),
        mseLoss(x, y, { reduction: 'none' }),
        bceWithLogits(x, y, { reduction: 'sum' }),
      ]) {
        expect(out.dtype).toBe('float32');
        out.dispose();
      }
      for (const v of [x, y, t]) v.dispose();
    });
  }
});

describe('bceWithLogits is exact at the extremes', () => {
  it('keeps log1p tails below float32 epsilon and never overflows', () => {
    const x = tensor([40, -40, 100, -100, 88, -88]);
    const y = tensor([1, 0, 0, 1, 1, 0]);
    const out = bceWithLogits(x, y, { reduction: 'none' });
    const want = [Math.exp(-40), Math.exp(-40), 100, 100, Math.exp(-88), Math.exp(-88)];
    const got = out.data();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!) / want[i]!).toBeLessThan(1e-6);
    for (const v of [x, y, out]) v.dispose();
  });
});

describe('losses refuse bad input', () => {
  const logits = () =>
    tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  const cls = (v: number[]) => tensor(new Int32Array(v));

  it('a float target for class indices', () => {
    const x = logits();
    const t = tensor([0, 1]);
    for (const fn of [crossEntropy, nllLoss]) {
      expect(() => fn(x, t)).toThrow(DTypeError);
      expect(() => fn(x, t)).toThrow(/expected int32.*got float32 \(target\)|int32/);
    }
    x.dispose();
    t.dispose();
  });

  it('a class index out of range names its position and value', () => {
    const x = logits();
    const t = cls([1, 3]);
    for (const fn of [crossEntropy, nllLoss]) {
      let err: unknown;
      try {
        fn(x, t);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ClassIndexError);
      expect(err).toBeInstanceOf(NnError);
      expect((err as Error).message).toMatch(
        /target at flat index 1: expected a class index in 0..2 \(or ignoreIndex -100\), got 3/,
      );
    }
    const neg = cls([-1, 0]);
    expect(() => nllLoss(x, neg)).toThrow(/got -1/);
    const ignored = cls([-1, 0]);
    expect(nllLoss(x, ignored, { ignoreIndex: -1 }).dtype).toBe('float32');
    for (const v of [x, t, neg, ignored]) v.dispose();
  });

  it('target shapes that do not match', () => {
    const x = logits();
    const t = cls([0, 1, 2]);
    expect(() => crossEntropy(x, t)).toThrow(ShapeError);
    expect(() => nllLoss(x, t)).toThrow(/expected target shape .*\[2\], got \[3\]/);
    const y = zeros([2, 2]);
    expect(() => mseLoss(x, y)).toThrow(/expected target shape \[2, 3\], got \[2, 2\]/);
    expect(() => bceWithLogits(x, y)).toThrow(ShapeError);
    for (const v of [x, t, y]) v.dispose();
  });

  it('bad options, dtypes and disposed tensors', () => {
    const x = logits();
    const y = zeros([2, 3]);
    const t = cls([0, 1]);
    expect(() => mseLoss(x, y, { reduction: 'avg' as 'mean' })).toThrow(ArgumentError);
    expect(() => crossEntropy(x, t, { ignoreIndex: 1.5 })).toThrow(/ignoreIndex/);
    expect(() => nllLoss(x, t, null as unknown as ClassLossOptions)).toThrow(/options/);
    expect(() => mseLoss(t, t)).toThrow(DTypeError);
    expect(() => bceWithLogits(x, y, { posWeight: zeros([2]) })).toThrow(/posWeight shape/);
    expect(() => bceWithLogits(x, y, { posWeight: Number.NaN })).toThrow(/posWeight/);
    expect(() => mseLoss(x, [1] as unknown as Tensor)).toThrow(/expected target to be a Tensor/);
    const gone = zeros([2, 3]);
    gone.dispose();
    expect(() => mseLoss(gone, y)).toThrow(DisposedError);
    for (const v of [x, y, t]) v.dispose();
  });

  it('1-D logits need a 0-d target', () => {
    const x = tensor([1, 2, 3]);
    const t = cls([0]);
    expect(() => crossEntropy(x, t)).toThrow(/expected target shape.*\[\], got \[1\]/);
    x.dispose();
    t.dispose();
  });
});

describe('losses free their intermediates when autograd does not record them', () => {
  it('leaves only the result behind', () => {
    const x = tensor(
      [
        [0.5, -1, 2],
        [3, 0, -2],
      ],
      { dtype: 'float16' },
    );
    const y = tensor([
      [1, 0, 1],
      [0, 0.5, 1],
    ]);
    const t = tensor(new Int32Array([2, 0]));
    const pw = tensor([1, 2, 3]);
    const calls = [
      () => crossEntropy(x, t, { reduction: 'none' }),
      () => nllLoss(x, t, { ignoreIndex: 0 }),
      () => mseLoss(x, y),
      () => bceWithLogits(x, y, { posWeight: pw }),
      () => bceWithLogits(x, y, { posWeight: 2, reduction: 'none' }),
    ];
    for (const call of calls) {
      const before = memory();
      const out = call();
      expect(memory().numTensors).toBe(before.numTensors + 1);
      out.dispose();
      expect(memory().numStorages).toBe(before.numStorages);
    }
    for (const v of [x, y, t, pw]) v.dispose();
  });
});
