import { noGrad } from '@mantissa/autograd';
import { type Module, Parameter } from '@mantissa/nn';
import { Adam, type Optimizer, SGD } from '@mantissa/optim';
import { memory, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Fp16OptionError, Fp16StateError, LossScaler, MasterParams, modelToHalf } from '../src';
import { batch, bitsOf, groupsOf, handStep, makeCnn, plantInGrad } from './helpers';

type OptFactory = (groups: Parameter[][]) => Optimizer<object>;

const adam: OptFactory = (groups) =>
  new Adam(
    groups.map((params) => ({ params })),
    { lr: 1e-2, betas: [0.9, 0.99], weightDecay: 1e-2, decoupledWeightDecay: true },
  );
const sgd: OptFactory = (groups) =>
  new SGD(
    groups.map((params) => ({ params })),
    { lr: 5e-2, momentum: 0.9, weightDecay: 1e-3 },
  );

function run(flat: boolean, makeOpt: OptFactory, steps: number) {
  const model = modelToHalf(makeCnn(7));
  const masters = new MasterParams(model, groupsOf(model), { flat });
  const opt = makeOpt(masters.paramGroups);
  const scaler = new LossScaler({ initScale: 2 ** 12, growthInterval: 2 });
  const log = [];
  for (let i = 0; i < steps; i++) {
    log.push(
      tidy(() => {
        const [x, y] = batch(i);
        // Step 3 overflows in the second conv's weight gradient.
        const plant = i === 3 ? (m: Module) => plantInGrad(m, '1.0.weight', 5, Infinity) : undefined;
        return handStep(model, masters, opt, scaler, x, y, { plant });
      }),
    );
  }
  return { model, masters, opt, scaler, log };
}

function snapshot(model: Module, masters: MasterParams) {
  return {
    model: model.namedParameters().map(([n, p]) => [n, p.dtype, bitsOf(p)]),
    buffers: model.namedBuffers().map(([n, b]) => [n, bitsOf(b)]),
    masters: Object.fromEntries(masters.namedMasters().map(([n, t]) => [n, bitsOf(t)])),
  };
}

describe('MasterParams: flat and per-parameter masters', () => {
  for (const [label, makeOpt] of [
    ['Adam (decoupled wd)', adam],
    ['SGD (momentum, L2 wd)', sgd],
  ] as const) {
    it(`give bit-identical weights after 8 steps with ${label}`, () => {
      const a = run(false, makeOpt, 8);
      const b = run(true, makeOpt, 8);
      expect(a.log).toEqual(b.log);
      expect(a.log[3]!.skipped).toBe(true);
      expect(a.log.filter((s) => s.skipped).length).toBe(1);
      const sa = snapshot(a.model, a.masters);
      const sb = snapshot(b.model, b.masters);
      expect(sb.model.map((e) => e[0])).toEqual(sa.model.map((e) => e[0]));
      expect(sb).toEqual(sa);
      // The weights moved, and the model holds its masters rounded to half.
      const fresh = modelToHalf(makeCnn(7));
      expect(sa.model).not.toEqual(fresh.namedParameters().map(([n, p]) => [n, p.dtype, bitsOf(p)]));
      fresh.dispose();
      for (const [name, p] of a.model.namedParameters()) {
        const master = a.masters.namedMasters().find((e) => e[0] === name)![1];
        expect(bitsOf(p), name).toEqual(tidy(() => bitsOf(master.to(p.dtype))));
      }
      for (const r of [a, b]) {
        r.masters.dispose();
        r.model.dispose();
      }
    });
  }

  it('flat: the model parameters of each dtype live in one buffer, their gradients in another', () => {
    const model = modelToHalf(makeCnn(3));
    const before = model.namedParameters().map(([n, p]) => [n, bitsOf(p)]);
    const groups = groupsOf(model);
    const masters = new MasterParams(model, groups, { flat: true });
    // Same names and values; new Parameter objects.
    expect(model.namedParameters().map(([n, p]) => [n, bitsOf(p)])).toEqual(before);
    const params = model.parameters();
    expect(params.some((p) => groups.flat().includes(p))).toBe(false);
    // Group 0 (weights, all fp16) is one storage; group 1 holds fp16 biases and fp32 batch-norm params.
    const [wd, noWd] = masters.modelParams;
    expect(new Set(wd!.map((p) => p.storage)).size).toBe(1);
    expect(new Set(wd!.map((p) => p.grad!.storage)).size).toBe(1);
    expect(new Set(noWd!.map((p) => `${p.dtype}`))).toEqual(new Set(['float16', 'float32']));
    expect(new Set(noWd!.map((p) => p.storage)).size).toBe(2);
    // The optimizer sees one flat fp32 master per group.
    expect(masters.paramGroups.map((g) => g.map((p) => [p.dtype, p.shape]))).toEqual([
      [['float32', [wd!.reduce((n, p) => n + p.numel, 0)]]],
      [['float32', [noWd!.reduce((n, p) => n + p.numel, 0)]]],
    ]);
    // Backward accumulates into the buffers.
    tidy(() => {
      const [x, y] = batch(0);
      const scaler = new LossScaler({ initScale: 8 });
      handStep(model, masters, { step() {}, zeroGrad() {} }, scaler, x, y);
    });
    masters.dispose();
    model.dispose();
  });

  it('one unscale pass per group and dtype: the master gradients are the half ones / scale', () => {
    const model = modelToHalf(makeCnn(4));
    const masters = new MasterParams(model, groupsOf(model), { flat: true });
    const scaler = new LossScaler({ initScale: 2 ** 10 });
    tidy(() => {
      const [x] = batch(1);
      const out = model.forward(x.half()).float();
      scaler.scaleLoss(out.sum().mul(0).add(out.mean())).backward();
      const r = masters.modelGradsToMaster(scaler);
      expect(r.flags.length).toBe(3); // group 0: fp16; group 1: fp16 and fp32
      expect(r.foundInf).toBe(false);
      const grads = new Map(masters.namedMasterGrads());
      for (const [name, p] of model.namedParameters()) {
        const want = Array.from(p.grad!.data()).map((v) => v / 2 ** 10);
        expect(Array.from(grads.get(name)!.data()), name).toEqual(want);
      }
    });
    masters.dispose();
    model.dispose();
  });

  it('reports an overflow by parameter name and index, in both layouts', () => {
    for (const flat of [false, true]) {
      const model = modelToHalf(makeCnn(4));
      const masters = new MasterParams(model, groupsOf(model), { flat });
      tidy(() => {
        const [x, y] = batch(1);
        const scaler = new LossScaler({ initScale: 2 });
        const step = handStep(model, masters, { step() {}, zeroGrad() {} }, scaler, x, y, {
          plant: (m) => {
            plantInGrad(m, '1.2.bias', 3, Number.NaN);
            plantInGrad(m, '1.2.bias', 6, Number.NaN);
          },
        });
        expect(step.skipped).toBe(true);
        expect(scaler.lastSite).toEqual({ name: '1.2.bias', index: 3 });
      });
      masters.dispose();
      model.dispose();
    }
  });

  it('re-attaches gradients that zeroGrad(setToNone) or a user detached', () => {
    const model = modelToHalf(makeCnn(5));
    const masters = new MasterParams(model, groupsOf(model), { flat: true });
    const opt = adam(masters.paramGroups);
    opt.zeroGrad(true);
    model.zeroGrad(true);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    masters.attachGrads();
    const [w] = masters.modelParams[0]!;
    expect(w!.grad!.storage).toBe(masters.modelParams[0]![1]!.grad!.storage);
    expect(masters.paramGroups[0]![0]!.grad).not.toBeNull();
    // A foreign gradient is copied into the buffer.
    w!.grad = tensor(new Array(w!.numel).fill(3), { dtype: 'float16', shape: w!.shape });
    masters.attachGrads();
    expect(Array.from(w!.grad!.data()).every((v) => v === 3)).toBe(true);
    expect(w!.grad!.storage).toBe(masters.modelParams[0]![1]!.grad!.storage);
    opt.dispose();
    masters.dispose();
    model.dispose();
  });

  it('state dict: per-parameter names, loads across layouts, and brings the model along', () => {
    const a = run(true, adam, 3);
    const b = run(false, adam, 1);
    const dict = a.masters.stateDict();
    expect(Object.keys(dict.params).sort()).toEqual(
      a.model
        .namedParameters()
        .map((e) => e[0])
        .sort(),
    );
    b.masters.loadStateDict(dict);
    expect(snapshot(b.model, b.masters).masters).toEqual(snapshot(a.model, a.masters).masters);
    expect(snapshot(b.model, b.masters).model).toEqual(snapshot(a.model, a.masters).model);
    expect(b.masters.inSyncWithModel()).toBe(true);
    expect(() => b.masters.loadStateDict({ ...dict, version: 9 })).toThrow(Fp16StateError);
    const { '0.0.weight': _dropped, ...missing } = dict.params;
    expect(() => b.masters.loadStateDict({ ...dict, params: missing })).toThrow(/params\.0\.0\.weight/);
    expect(() =>
      b.masters.loadStateDict({ ...dict, params: { ...dict.params, extra: tensor([1]) } }),
    ).toThrow(/only the masters/);
    for (const r of [a, b]) {
      r.opt.dispose();
      r.masters.dispose();
      r.model.dispose();
    }
  });

  it('knows when the model was written behind its back, and re-derives the masters', () => {
    const model = modelToHalf(makeCnn(6));
    const masters = new MasterParams(model, groupsOf(model));
    expect(masters.inSyncWithModel()).toBe(true);
    noGrad(() => masters.namedMasters()[0]![1].add_(1e-4));
    expect(masters.inSyncWithModel()).toBe(false);
    masters.modelToMaster();
    expect(masters.inSyncWithModel()).toBe(true);
    masters.dispose();
    model.dispose();
  });

  it('leaves out parameters that do not train, and rejects foreign ones', () => {
    const model = modelToHalf(makeCnn(6));
    const [wd, noWd] = groupsOf(model);
    wd![0]!.requiresGrad = false;
    const masters = new MasterParams(model, [wd!, noWd!]);
    expect(masters.modelParams[0]!.length).toBe(wd!.length - 1);
    masters.dispose();
    const stranger = new Parameter(tensor([1, 2]));
    expect(() => new MasterParams(model, [[stranger]])).toThrow(Fp16OptionError);
    expect(() => new MasterParams(model, [[wd![1]!], [wd![1]!]])).toThrow(/in one group only/);
    expect(() => new MasterParams(model, groupsOf(model), { flat: 1 as never })).toThrow(
      /flat to be a boolean/,
    );
    stranger.dispose();
    model.dispose();
  });

  it('keeps memory flat over steps and frees everything on dispose', () => {
    const start = memory().numTensors;
    const r = run(true, adam, 2);
    const after2 = memory().numTensors;
    tidy(() => {
      const [x, y] = batch(9);
      handStep(r.model, r.masters, r.opt, r.scaler, x, y);
    });
    expect(memory().numTensors).toBe(after2);
    r.opt.dispose();
    r.masters.dispose();
    r.model.dispose();
    expect(memory().numTensors).toBe(start);
  });
});

export type { Tensor };
