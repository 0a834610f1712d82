import '@mantissa/autograd';
import { BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential } from '@mantissa/nn';
import { tensor } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, flattenModel, OptimError, OptimWrapper, SGD, splitNoWdParams } from '../src/index';
import { expectParam, type FixtureTensor, fromFixture, loadJson } from './helpers';

interface WrapperCase {
  trueWd: boolean;
  bnWd: boolean;
  wd: number;
  lrs: number[];
  moms: number[];
  start: FixtureTensor[];
  grads: FixtureTensor[][];
  steps: FixtureTensor[][];
}

const fixture = loadJson<{ wrappers: WrapperCase[] }>('optim.json');

describe("OptimWrapper reproduces fastai v1's arithmetic step by step", () => {
  it.each(fixture.wrappers.map((c) => [`trueWd=${c.trueWd} bnWd=${c.bnWd}`, c] as const))('%s', (_, c) => {
    const params = c.start.map((s) => fromFixture(s).requiresGrad_());
    const inner = new Adam(
      [
        { params: [params[0]!, params[1]!], lr: 0 },
        { params: [params[2]!], lr: 0 },
      ],
      { betas: [0.9, 0.99] },
    );
    const opt = new OptimWrapper(inner, { wd: c.wd, trueWd: c.trueWd, bnWd: c.bnWd });
    c.grads.forEach((grads, step) => {
      opt.lr = c.lrs[step]!;
      opt.mom = c.moms[step]!;
      grads.forEach((g, i) => {
        params[i]!.grad = fromFixture(g);
      });
      opt.step();
      params.forEach((p, i) => {
        expectParam(p, c.steps[step]![i]!, `step ${step + 1} param ${i}`);
      });
    });
  });
});

function smallNet() {
  return new Sequential(
    new Conv2d(3, 4, 3),
    new BatchNorm2d(4),
    new ReLU(),
    new Sequential(new Flatten(), new Linear(16, 2)),
  );
}

describe('splitNoWdParams and flattenModel (fastai)', () => {
  it('puts batch-norm parameters and biases of direct children in the no-wd list', () => {
    const net = smallNet();
    const [conv, bn, , tail] = net.children() as [Conv2d, BatchNorm2d, ReLU, Sequential];
    const lin = tail.children()[1] as Linear;
    // The model as one layer group: the nested Linear is not a direct child, so all its params decay.
    const [wd, noWd] = splitNoWdParams([net]);
    expect(wd).toEqual([conv.weight, lin.weight, lin.bias]);
    expect(noWd).toEqual([conv.bias, bn.weight, bn.bias]);
    // The learner's default: one layer group of the flattened leaves.
    const leaves = flattenModel(net);
    expect(leaves.map((m) => m.constructor.name)).toEqual([
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'Flatten',
      'Linear',
    ]);
    const [wd2, noWd2] = splitNoWdParams([leaves]);
    expect(wd2).toEqual([conv.weight, lin.weight]);
    expect(noWd2).toEqual([conv.bias, bn.weight, bn.bias, lin.bias]);
  });

  it('create builds wd/no-wd pairs per layer group with per-group lr', () => {
    const net = smallNet();
    const leaves = flattenModel(net);
    const opt = OptimWrapper.create(
      (g) => new Adam(g, { betas: [0.9, 0.99] }),
      [1e-3, 1e-2],
      [leaves.slice(0, 2), leaves.slice(2)],
      {
        wd: 0.01,
        trueWd: true,
      },
    );
    expect(opt.paramGroups.map((g) => g.params.length)).toEqual([1, 3, 1, 1]);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1e-3, 1e-3, 1e-2, 1e-2]);
    expect(opt.lr).toBe(1e-2);
    expect(opt.mom).toBe(0.9);
    expect(opt.beta).toBe(0.99);
    opt.mom = 0.85;
    expect(opt.paramGroups.map((g) => g.betas)).toEqual([
      [0.85, 0.99],
      [0.85, 0.99],
      [0.85, 0.99],
      [0.85, 0.99],
    ]);
    expect(opt.paramGroups.map((g) => [g.weightDecay, g.decoupledWeightDecay])).toEqual([
      [0.01, true],
      [0.01, true],
      [0.01, true],
      [0.01, true],
    ]);
  });

  it('maps mom to SGD momentum and refuses beta there', () => {
    const p = tensor([1]).requiresGrad_();
    const q = tensor([2]).requiresGrad_();
    const opt = new OptimWrapper(new SGD([{ params: [p] }, { params: [q] }], { lr: 0.1, momentum: 0.9 }), {
      wd: 0.1,
      bnWd: false,
    });
    expect(opt.mom).toBe(0.9);
    expect(opt.beta).toBeNull();
    opt.mom = 0.5;
    expect(opt.paramGroups.map((g) => g.momentum)).toEqual([0.5, 0.5]);
    expect(opt.paramGroups.map((g) => g.weightDecay)).toEqual([0.1, 0]);
    expect(() => {
      opt.beta = 0.9;
    }).toThrow(OptimError);
    expect(() => {
      opt.lr = [0.1, 0.2];
    }).toThrow(/one per layer group/);
  });

  it('round-trips its state through stateDict', () => {
    const make = () => {
      const p = tensor([1, 2]).requiresGrad_();
      const q = tensor([3]).requiresGrad_();
      return {
        p,
        q,
        opt: new OptimWrapper(new Adam([{ params: [p] }, { params: [q] }]), { wd: 0.1, trueWd: true }),
      };
    };
    const a = make();
    a.opt.lr = 0.01;
    a.opt.mom = 0.8;
    a.p.grad = tensor([1, -1]);
    a.q.grad = tensor([0.5]);
    a.opt.step();
    const b = make();
    b.opt.loadStateDict(a.opt.stateDict());
    expect([b.opt.lr, b.opt.mom, b.opt.wd]).toEqual([0.01, 0.8, 0.1]);
    expect(b.opt.opt.state.get(b.p)!.step).toBe(1);
    const other = new OptimWrapper(new Adam([{ params: [tensor([0])] }, { params: [tensor([0])] }]), {
      trueWd: false,
    });
    expect(() => other.loadStateDict(a.opt.stateDict())).toThrow(/weight-decay mode/);
  });
});
