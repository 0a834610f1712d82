// Optimizers on 'cuda' (a real GPU, or the host emulation without one: placement, not GPU numbers).

import { Parameter } from '@mantissa/nn';
import { backendInfo, type Device, isTensor, manualSeed, randn, type Tensor } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { testDevice } from '../../../test-utils/emulate-cuda';
import { Adam, AdamW, SGD } from '../src/index';

const cuda = testDevice(backendInfo());

type Make = (ps: Parameter[]) => SGD | Adam;
const optimizers: [string, Make][] = [
  ['SGD with momentum and weight decay', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-2 })],
  ['Adam', (ps) => new Adam(ps, { lr: 1e-2 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 1e-2 })],
];

/** Three steps on two parameters (fp32 and fp16) with fixed gradients; returns values and state. */
function run(device: Device, make: Make) {
  manualSeed(11);
  const params = [new Parameter(randn([4, 3], { device })), new Parameter(randn([5], { device }).half())];
  const opt = make(params);
  for (let step = 0; step < 3; step++) {
    for (const p of params) p.grad = randn(p.shape, { device }).to(p.dtype);
    opt.step();
  }
  const state = [...opt.state.values()].flatMap((s) => Object.values(s).filter(isTensor) as Tensor[]);
  return { params, state, opt };
}

describe.skipIf(cuda === null)('optimizers on cuda', () => {
  for (const [name, make] of optimizers) {
    it(`${name}: state is created on the parameters' device and the fused steps run there`, () => {
      const onCuda = run('cuda', make);
      const onCpu = run('cpu', make);
      expect(onCuda.state.length).toBeGreaterThan(0);
      expect(new Set(onCuda.state.map((t) => t.device))).toEqual(new Set(['cuda']));
      expect(new Set(onCuda.params.map((t) => t.device))).toEqual(new Set(['cuda']));
      const values = (ts: Tensor[]) => ts.map((t) => Array.from(t.data(), Number));
      if (backendInfo().cuda.emulated) {
        expect(values(onCuda.params)).toEqual(values(onCpu.params));
        expect(values(onCuda.state)).toEqual(values(onCpu.state));
      }
    });
  }

  it('a state dict loaded into an optimizer of cuda parameters puts the state on cuda', () => {
    const source = run('cpu', optimizers[1]![1]);
    const saved = source.opt.stateDict();
    const target = run('cuda', optimizers[1]![1]);
    const opt = new Adam(target.params, { lr: 1e-2 });
    opt.loadStateDict(saved as ReturnType<Adam['stateDict']>);
    const state = [...opt.state.values()].flatMap((s) => Object.values(s).filter(isTensor) as Tensor[]);
    expect(new Set(state.map((t) => t.device))).toEqual(new Set(['cuda']));
  });
});
