import { DataBunch, DataLoader, TensorDataset } from '@mantissa/data';
import { MantissaError, tensor } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { accuracy, Learner, LearnerError, slice } from '../src';
import { tinyData, tinyModel } from './helpers';

const learner = () => new Learner(tinyData(), tinyModel(), { silent: true });

describe('errors are clear', () => {
  it('an empty training loader', async () => {
    const x = tensor(new Float32Array(16), { shape: [4, 4] });
    const y = tensor(new Int32Array(4));
    const ds = new TensorDataset(x, y);
    const data = new DataBunch(new DataLoader(ds, { batchSize: 8, dropLast: true }), new DataLoader(ds));
    const learn = new Learner(data, tinyModel(), { silent: true });
    await expect(learn.fit(1)).rejects.toThrow(LearnerError);
    await expect(learn.fit(1)).rejects.toThrow(
      'Learner.fit: data.train: expected a training loader with at least one batch, got an empty one',
    );
    expect(learn.opt).toBe(null);
  });

  it('a bad learning rate names the value and what was expected', async () => {
    const learn = learner();
    await expect(learn.fit(1, Number.NaN)).rejects.toThrow(
      'Learner.fit: lr: expected a finite number >= 0, got NaN',
    );
    await expect(learn.fit(1, -1e-3)).rejects.toThrow('got -0.001');
    await expect(learn.fit(1, [1e-3, 1e-2])).rejects.toThrow(
      'Learner.fit: lr: expected 1 learning rates (one per layer group), got 2',
    );
    await expect(learn.fit(1, '3e-3' as never)).rejects.toThrow(
      /expected a number, one number per layer group, or slice/,
    );
    await expect(learn.fitOneCycle(1, slice(Number.POSITIVE_INFINITY))).rejects.toThrow(
      'Learner.fitOneCycle: lr.stop: expected a finite number >= 0, got Infinity',
    );
    expect(learn.opt).toBe(null);
  });

  it('bad epochs', async () => {
    const learn = learner();
    await expect(learn.fit(0)).rejects.toThrow('Learner.fit: epochs: expected a positive integer, got 0');
    await expect(learn.fit(1.5)).rejects.toThrow('got 1.5');
  });

  it('metrics that are not functions', () => {
    expect(() => new Learner(tinyData(), tinyModel(), { metrics: [accuracy, 42 as never] })).toThrow(
      'Learner: metrics[1]: expected a function (output, target) => Tensor or a Callback, got 42',
    );
    expect(() => new Learner(tinyData(), tinyModel(), { metrics: ['accuracy' as never] })).toThrow(
      LearnerError,
    );
  });

  it('bad data, model or loss', () => {
    expect(() => new Learner(null as never, tinyModel())).toThrow(/Learner: data: expected a DataBunch/);
    expect(() => new Learner(tinyData(), {} as never)).toThrow(/Learner: model: expected a Module/);
    expect(() => new Learner(tinyData(), tinyModel(), { lossFunc: 'mse' as never })).toThrow(/lossFunc/);
    expect(
      () =>
        new Learner({ ...tinyData(), train: tinyData().train, valid: null, lossFunc: 'mse' }, tinyModel()),
    ).toThrow(/data\.lossFunc: expected a lossFunc option/);
  });

  it('validation, predictions and checkpoints reject what they cannot use', () => {
    const noValid = new Learner({ train: tinyData().train, valid: null }, tinyModel(), { silent: true });
    expect(() => noValid.validate()).toThrow(/Learner\.validate: validation data: expected a loader/);
    expect(() => noValid.getPreds()).toThrow(/Learner\.getPreds: data\.valid/);
    expect(() => learner().getPreds('test' as never)).toThrow(
      /dsType: expected 'train' or 'valid', got test/,
    );
    expect(() => learner().predict([1, 2] as never)).toThrow(/Learner\.predict: x: expected a Tensor/);
    for (const name of ['', '../x', '.hidden', 'a/b']) expect(() => learner().save(name)).toThrow(/name/);
  });

  it('every error is a MantissaError', async () => {
    const errors: unknown[] = [];
    await learner()
      .fit(0)
      .catch((e) => errors.push(e));
    try {
      new Learner(tinyData(), tinyModel(), { metrics: [1 as never] });
    } catch (e) {
      errors.push(e);
    }
    for (const e of errors) expect(MantissaError.isInstance(e)).toBe(true);
    expect(errors).toHaveLength(2);
  });
});
