import '@mantissa/autograd';
import { type Tensor, tensor, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, OptimError, SGD } from '../src/index';
import { expectParam, type FixtureTensor, fromFixture, loadJson } from './helpers';

interface OptimizerCase {
  kind: 'sgd' | 'adam' | 'adamw';
  groups: Record<string, unknown>[];
  defaults: Record<string, unknown>;
  start: FixtureTensor[];
  grads: FixtureTensor[][];
  steps: FixtureTensor[][];
}

const fixture = loadJson<{ optimizers: OptimizerCase[] }>('optim.json');

/** PyTorch's option names to ours. */
function options(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k === 'weight_decay' ? 'weightDecay' : k] = v;
  return out;
}

function build(c: OptimizerCase, params: Tensor[]) {
  const groups = [
    { params: [params[0]!, params[1]!], ...options(c.groups[0]!) },
    { params: [params[2]!, params[3]!], ...options(c.groups[1]!) },
  ];
  const d = options(c.defaults);
  if (c.kind === 'sgd') return new SGD(groups, d as { lr: number });
  if (c.kind === 'adam') return new Adam(groups, d);
  return new AdamW(groups, d);
}

describe('optimizers step like torch.optim over parameter groups', () => {
  it.each(fixture.optimizers.map((c) => [`${c.kind} ${JSON.stringify(c.groups)}`, c] as const))(
    '%s',
    (_, c) => {
      const params = c.start.map((s) => fromFixture(s).requiresGrad_());
      const opt = build(c, params);
      c.grads.forEach((grads, step) => {
        grads.forEach((g, i) => {
          params[i]!.grad = fromFixture(g);
        });
        opt.step();
        params.forEach((p, i) => {
          expectParam(p, c.steps[step]![i]!, `step ${step + 1} param ${i}`);
        });
      });
      // The fourth parameter never had a gradient: untouched, no state.
      expect(opt.state.has(params[3]!)).toBe(false);
    },
  );
});

describe('optimizer state', () => {
  it('a state dict loaded into a fresh optimizer continues exactly like the original', () => {
    const make = () => [tensor([1, -2, 3]).requiresGrad_(), tensor([[0.5, 0.25]]).requiresGrad_()];
    const grads = [
      [tensor([0.1, 0.2, -0.3]), tensor([[1, -1]])],
      [tensor([0.3, -0.1, 0.2]), tensor([[-0.5, 2]])],
      [tensor([-0.2, 0.4, 0.1]), tensor([[0.25, 0.5]])],
    ];
    const a = make();
    const optA = new AdamW(a, { lr: 0.01 });
    const stepWith = (ps: Tensor[], opt: { step(): void }, g: Tensor[]) => {
      ps.forEach((p, i) => {
        p.grad = g[i]!.clone();
      });
      opt.step();
    };
    stepWith(a, optA, grads[0]!);
    const b = a.map((p) => p.detach().clone().requiresGrad_());
    const optB = new AdamW(b, { lr: 0.5 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups[0]!.lr).toBe(0.01);
    for (const g of grads.slice(1)) {
      stepWith(a, optA, g);
      stepWith(b, optB, g);
    }
    a.forEach((p, i) => {
      expect(Array.from(b[i]!.data())).toEqual(Array.from(p.data()));
    });
    expect(optB.state.get(b[0]!)!.step).toBe(3);
  });

  it('zeroGrad clears gradients, or zeroes them in place', () => {
    const p = tensor([1, 2]).requiresGrad_();
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = tensor([3, 4]);
    opt.zeroGrad(false);
    expect(p.grad!.toArray()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('momentum buffers start from the first gradient (PyTorch), then accumulate', () => {
    const p = tensor([0]).requiresGrad_();
    const opt = new SGD([p], { lr: 1, momentum: 0.5 });
    p.grad = tensor([2]);
    opt.step();
    expect(p.item()).toBe(-2);
    p.grad = tensor([2]);
    opt.step();
    expect(p.item()).toBe(-5);
  });
});

describe('optimizer errors', () => {
  it('names the optimizer, the hyper-parameter, the expected and the actual value', () => {
    const p = () => [zeros([2]).requiresGrad_()];
    expect(() => new SGD(p(), { lr: -1 })).toThrow(
      /SGD.addParamGroup: lr: expected a finite number in \[0, Infinity\], got -1/,
    );
    expect(() => new Adam(p(), { betas: [0.9, 1] })).toThrow(OptimError);
    expect(() => new SGD(p(), { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/at least one parameter/);
    const q = zeros([2]);
    expect(() => new SGD([{ params: [q] }, { params: [q] }], { lr: 0.1 })).toThrow(/repeated parameter/);
    expect(() => new SGD([zeros([2], { dtype: 'int32' })], { lr: 0.1 })).toThrow(/float tensor/);
    const opt = new Adam(p());
    expect(() => opt.loadStateDict({ state: {}, paramGroups: [] })).toThrow(/number of parameter groups/);
  });
});
