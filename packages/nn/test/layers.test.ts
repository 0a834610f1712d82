import { backward } from '@mantissa/autograd';
import { type Tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
} from '../src/index';
import { expectClose, type FixtureTensor, fromFixture, loadFixture, type Tolerance } from './helpers';

interface Case {
  name: string;
  layer: { type: string; args: Record<string, unknown> };
  training: boolean;
  xs: FixtureTensor[];
  gy: FixtureTensor;
  state: Record<string, FixtureTensor>;
  y: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  stateAfter?: Record<string, FixtureTensor>;
}

const { cases } = loadFixture<{ cases: Case[] }>('layers');

function build({ type, args: a }: Case['layer']): Module {
  const n = (k: string) => a[k] as number;
  switch (type) {
    case 'Linear':
      return new Linear(n('inFeatures'), n('outFeatures'), (a.bias as boolean | undefined) ?? true);
    case 'Conv2d':
      return new Conv2d(n('inChannels'), n('outChannels'), a.kernelSize as number, a);
    case 'BatchNorm1d':
      return new BatchNorm1d(n('numFeatures'), a);
    case 'BatchNorm2d':
      return new BatchNorm2d(n('numFeatures'), a);
    case 'ReLU':
      return new ReLU();
    case 'MaxPool2d':
      return new MaxPool2d(a.kernelSize as number, a);
    case 'AdaptiveAvgPool2d':
      return new AdaptiveAvgPool2d(a.outputSize as number);
    case 'Flatten':
      return new Flatten(a.startDim as number | undefined, a.endDim as number | undefined);
    default:
      throw new Error(type);
  }
}

// PyTorch's values are float64 rounded once; ours accumulate in float32 (half: 1 ulp).
const tol = (dtype: string): Tolerance =>
  dtype === 'float16' ? { rtol: 2 ** -10 } : { atol: 1e-6, rtol: 1e-5 };

describe('layers against PyTorch', () => {
  it('has every case', () => expect(cases.length).toBeGreaterThanOrEqual(24));

  for (const c of cases) {
    it(`${c.name}: forward, running statistics and gradients`, () => {
      const m = build(c.layer);
      m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)])));
      m.train(c.training);
      tidy(() => {
        const xs = c.xs.map(fromFixture);
        for (const x of xs.slice(0, -1)) m.forward(x);
        const x = xs.at(-1)!.requiresGrad_();
        const y = m.forward(x);
        expectClose(y, c.y, tol(c.y.dtype), 'output');
        for (const [k, v] of Object.entries(c.stateAfter ?? {})) {
          expectClose(m.stateDict()[k]!, v, { atol: 1e-6, rtol: 1e-5 }, k);
        }
        backward(y, fromFixture(c.gy));
        expectClose(x.grad!, c.grads.input!, tol(c.grads.input!.dtype), 'input grad');
        const params = Object.fromEntries(m.namedParameters());
        expect(Object.keys(params)).toEqual(Object.keys(c.grads).filter((k) => k !== 'input'));
        for (const [k, p] of Object.entries(params)) {
          expectClose(p.grad as Tensor, c.grads[k]!, { atol: 1e-5, rtol: 1e-5 }, `${k} grad`);
        }
      });
    });
  }
});
