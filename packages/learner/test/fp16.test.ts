import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataBunch, DataLoader, TensorDataset } from '@mantissa/data';
import { batchToHalf, MixedPrecision, mixedPrecisionOf } from '@mantissa/fp16';
import { simpleCnn } from '@mantissa/nn';
import { manualSeed, randn, type Tensor, tensor } from '@mantissa/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Learner } from '../src';

const root = mkdtempSync(join(tmpdir(), 'mantissa-learner-fp16-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `run${n++}`);

/** 48 training and 16 validation images 3×16×16 whose class is the sign of the red channel's mean. */
function imageData(): DataBunch {
  const make = (count: number, seed: number): [Tensor, Tensor] => {
    manualSeed(seed);
    const x = randn([count, 3, 16, 16]);
    const y = tensor(
      Array.from((x.narrow(1, 0, 1).mean([1, 2, 3]) as Tensor).data()).map((v) => (v > 0 ? 1 : 0)),
      {
        dtype: 'int32',
      },
    );
    return [x, y];
  };
  const [xt, yt] = make(48, 1);
  const [xv, yv] = make(16, 2);
  const train = new DataLoader(new TensorDataset(xt, yt), { batchSize: 8, shuffle: false, dropLast: true });
  const valid = new DataLoader(new TensorDataset(xv, yv), { batchSize: 8 });
  for (const t of [xt, yt, xv, yv]) t.dispose();
  return new DataBunch(train, valid, { classes: ['neg', 'pos'], lossFunc: 'crossEntropy' });
}

function cnn(seed: number) {
  manualSeed(seed);
  return simpleCnn([3, 8, 8, 2], null, null, true);
}

const bits = (t: Tensor) =>
  t.dtype === 'float32'
    ? Array.from(new Uint32Array((t.data() as Float32Array).buffer))
    : t.dtype === 'float16' || t.dtype === 'bfloat16'
      ? Array.from(t.bits())
      : Array.from(t.data());

function optState(learn: Learner): unknown {
  return JSON.parse(
    JSON.stringify(learn.opt!.stateDict(), (_k, v) =>
      v !== null && typeof v === 'object' && 'dtype' in v ? bits(v as Tensor) : v,
    ),
  );
}

describe('Learner.toFp16 / toFp32', () => {
  it("trains with fastai's seed-page defaults: fp16 model, batchToHalf, static scale 512, fp32 masters", async () => {
    const learn = new Learner(imageData(), cnn(0), { path: newDir(), silent: true }).toFp16();
    const mp = mixedPrecisionOf(learn)!;
    expect(mp).toBeInstanceOf(MixedPrecision);
    expect([mp.scaler.dynamic, mp.scaler.scale]).toEqual([false, 512]);
    expect((learn.data as DataBunch).transforms).toEqual([batchToHalf]);
    expect(learn.model.getParameter('0.0.weight').dtype).toBe('float16');
    expect(learn.model.getParameter('0.2.weight').dtype).toBe('float32');
    // Validation before any fit (no optimizer yet) runs through MixedPrecision too.
    const [untrained] = learn.validate();
    expect(untrained).toBeGreaterThan(0.6);
    await learn.fitOneCycle(2, 1e-2);
    expect(learn.opt!.paramGroups.flatMap((g) => g.params).every((p) => p.dtype === 'float32')).toBe(true);
    // The recorded (smoothed) training losses are unscaled.
    const losses = learn.recorder!.losses;
    expect(losses.length).toBe(12);
    expect(losses.every((l) => l > 0 && l < 2)).toBe(true);
    const [validLoss] = learn.validate();
    expect(validLoss).toBeLessThan(0.75);
    const [preds] = learn.getPreds();
    expect(preds.dtype).toBe('float32');
    expect(preds.shape).toEqual([16, 2]);
    preds.dispose();
    learn.toFp32();
    expect(learn.callbacks).toEqual([]);
    expect((learn.data as DataBunch).transforms).toEqual([]);
    expect(learn.model.getParameter('0.0.weight').dtype).toBe('float32');
    await learn.fit(1, 1e-3);
  });

  for (const flatMaster of [false, true]) {
    it(`save → load → continue equals an unbroken run bit for bit${flatMaster ? ' (flat masters)' : ''}`, async () => {
      const path = newDir();
      const opts = { dynamic: true, lossScale: 2 ** 10, maxNoskip: 4, flatMaster };
      const a = new Learner(imageData(), cnn(0), { path, silent: true }).toFp16(opts);
      await a.fit(1, 1e-2);
      a.save('stage-1');
      await a.fit(2, 3e-3);

      // The checkpoint carries MixedPrecision's state (scaler, fp32 masters) with the optimizer's.
      const b = new Learner(imageData(), cnn(7), { path, silent: true }).toFp16(opts);
      b.load('stage-1');
      await b.fit(2, 3e-3);

      const named = (l: Learner) => l.model.namedParameters().map(([k, p]) => [k, p.dtype, bits(p)]);
      expect(named(b)).toEqual(named(a));
      expect(b.model.namedBuffers().map(([k, t]) => [k, bits(t)])).toEqual(
        a.model.namedBuffers().map(([k, t]) => [k, bits(t)]),
      );
      expect(optState(b)).toEqual(optState(a));
      const [ma, mb] = [mixedPrecisionOf(a)!, mixedPrecisionOf(b)!];
      expect(mb.scaler.stateDict()).toEqual(ma.scaler.stateDict());
      expect(mb.masters!.namedMasters().map(([k, t]) => [k, bits(t)])).toEqual(
        ma.masters!.namedMasters().map(([k, t]) => [k, bits(t)]),
      );
    });
  }
});
