import { Parameter } from '@mantissa/nn';
import { SGD } from '@mantissa/optim';
import { tensor, tidy, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { accuracy, crossEntropyFlat, errorRate, Learner, lrRange, slice } from '../src';
import { points, tinyData, tinyModel, weights } from './helpers';

describe('Learner', () => {
  it("has fastai v1's defaults", () => {
    const data = tinyData();
    const learn = new Learner(data, tinyModel());
    expect(learn.wd).toBe(1e-2);
    expect([learn.trueWd, learn.bnWd]).toEqual([true, true]);
    expect(learn.lossFunc).toBe(crossEntropyFlat);
    expect(learn.modelDir).toBe('models');
    expect(learn.layerGroups).toHaveLength(1);
    expect(learn.layerGroups[0]).toHaveLength(3); // the leaf modules: Linear, ReLU, Linear
    expect(learn.opt).toBe(null); // created lazily by the first fit
    const opt = learn.createOpt();
    expect(opt.lr).toBe(3e-3); // slice(3e-3) for one layer group
    expect([opt.mom, opt.beta, opt.wd]).toEqual([0.9, 0.99, 1e-2]);
    // split_no_wd_params: the weights, then the biases.
    expect(opt.paramGroups.map((g) => g.params.length)).toEqual([2, 2]);
  });

  it('keeps the optimizer (and its state) across fits, and rebuilds it when parameters change', async () => {
    const learn = new Learner(tinyData(), tinyModel(), { silent: true });
    await learn.fit(1, 1e-2);
    const opt = learn.opt!;
    await learn.fit(1, 1e-3, { wd: 0.1 });
    expect(learn.opt).toBe(opt);
    expect([opt.lr, opt.wd]).toEqual([1e-3, 0.1]);
    const first = learn.model.parameters()[0]!;
    expect(opt.opt.state.get(first)!.step).toBe(6);
    const replacement = tidy(() => new Parameter(first.detach().clone()));
    learn.model.setParameter('0.weight', replacement);
    first.dispose();
    await learn.fit(1, 1e-2);
    expect(learn.opt).not.toBe(opt);
    expect(learn.opt!.opt.state.get(replacement)!.step).toBe(3);
  });

  it('takes an optFunc, layer groups and per-group learning rates', async () => {
    const model = tinyModel();
    const children = model.children();
    const learn = new Learner(tinyData(), model, {
      optFunc: (groups) => new SGD(groups, { lr: 0, momentum: 0.9 }),
      layerGroups: [[children[0]!, children[1]!], [children[2]!]],
      silent: true,
    });
    await learn.fit(1, slice(1e-3, 1e-1));
    const lrs = learn.opt!.paramGroups.map((g) => g.lr as number);
    expect(lrs[0]).toBeCloseTo(1e-3, 15);
    expect(lrs[1]).toBeCloseTo(1e-3, 15);
    expect(lrs[2]).toBeCloseTo(1e-1, 15);
    expect(learn.opt!.mom).toBe(0.9);
    await learn.fitOneCycle(1, slice(1e-2)); // [1e-3, 1e-2] by layer group
    expect(learn.recorder!.lrs[0]).toBeCloseTo(1e-2 / 25, 15);
  });

  it('validate, getPreds and predict agree with each other', async () => {
    const learn = new Learner(tinyData(), tinyModel(), { metrics: [accuracy, errorRate], silent: true });
    await learn.fit(3, 3e-2);
    const [loss, acc, err] = learn.validate();
    expect(learn.recorder!.validLosses.at(-1)).toBe(loss);
    expect(acc! + err!).toBeCloseTo(1, 6);
    const [preds, targets] = learn.getPreds();
    expect(preds.shape).toEqual([10, 2]);
    expect(targets.shape).toEqual([10]);
    const p = preds.toArray() as number[][];
    for (const row of p) expect(row[0]! + row[1]!).toBeCloseTo(1, 6); // softmax probabilities
    const t = targets.toArray() as number[];
    const hits = p.filter((row, i) => (row[1]! > row[0]! ? 1 : 0) === t[i]).length;
    expect(hits / 10).toBeCloseTo(acc!, 6);
    const [raw] = learn.getPreds('valid', { activ: null });
    expect((raw.toArray() as number[][])[0]).not.toEqual(p[0]);
    const [x] = points(1, 2); // the first validation point
    const one = learn.predict(x.reshape([4]));
    expect(one.probs[0]).toBeCloseTo(p[0]![0]!, 6);
    expect(one.label).toBe(['a', 'b'][one.index]);
    for (const u of [preds, targets, raw, x]) u.dispose();
    const [trainPreds] = learn.getPreds('train');
    expect(trainPreds.shape).toEqual([24, 2]);
    trainPreds.dispose();
  });

  it('learns the tiny task', async () => {
    const learn = new Learner(tinyData({ nTrain: 256, bs: 16, shuffle: true, seed: 1 }), tinyModel(), {
      metrics: [accuracy],
      silent: true,
    });
    const before = weights(learn.model);
    await learn.fitOneCycle(4, 5e-2);
    expect(weights(learn.model)).not.toEqual(before);
    expect(learn.recorder!.metrics.at(-1)![0]).toBeGreaterThanOrEqual(0.8);
  });
});

describe('metrics and helpers', () => {
  it('accuracy and errorRate are the arg-max hit rate and its complement', () => {
    tidy(() => {
      const out = tensor([
        [1, 0],
        [0, 1],
        [2, 1],
      ]);
      const y = tensor(Int32Array.from([0, 1, 1]));
      expect(accuracy(out, y).item()).toBeCloseTo(2 / 3, 6);
      expect(errorRate(out, y).item()).toBeCloseTo(1 / 3, 6);
      expect(accuracy.metricName).toBe('accuracy');
      expect(errorRate.metricName).toBe('error_rate');
    });
  });

  it('crossEntropyFlat flattens a last class axis', () => {
    tidy(() => {
      const out = zeros([2, 3, 4]);
      const y = zeros([2, 3], { dtype: 'int32' });
      expect(crossEntropyFlat(out, y).item()).toBeCloseTo(Math.log(4), 6);
    });
  });

  it("lrRange is fastai's lr_range", () => {
    expect(lrRange('t', 1e-3, 3)).toEqual([1e-3, 1e-3, 1e-3]);
    expect(lrRange('t', slice(1e-2), 3)).toEqual([1e-3, 1e-3, 1e-2]);
    const even = lrRange('t', slice(1e-4, 1e-2), 3);
    expect(even[0]).toBe(1e-4);
    expect(even[1]).toBeCloseTo(1e-3, 15);
    expect(even[2]).toBeCloseTo(1e-2, 15);
    expect(lrRange('t', slice(1e-4, 1e-2), 1)).toEqual([1e-2]);
    expect(lrRange('t', [1, 2], 2)).toEqual([1, 2]);
  });
});
