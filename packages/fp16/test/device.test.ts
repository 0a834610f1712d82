// Mixed precision on 'cuda' (a real GPU, or the host emulation without one: placement, not GPU numbers).

import { type Module, Parameter } from '@mantissa/nn';
import { Adam } from '@mantissa/optim';
import { backendInfo, type Device, isTensor, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { testDevice } from '../../../test-utils/emulate-cuda';
import { Fp16OptionError, LossScaler, MasterParams, modelToHalf } from '../src';
import { batch, bitsOf, groupsOf, handStep, makeCnn, plantInGrad } from './helpers';

const cuda = testDevice(backendInfo());

function run(device: Device, flat: boolean, dtype: 'float16' | 'bfloat16') {
  const model = modelToHalf(makeCnn(7), { dtype }).to(device);
  const masters = new MasterParams(model, groupsOf(model), { flat });
  const opt = new Adam(
    masters.paramGroups.map((params: Parameter[]) => ({ params })),
    { lr: 1e-2, betas: [0.9, 0.99], weightDecay: 1e-2, decoupledWeightDecay: true },
  );
  const scaler = new LossScaler({ initScale: 2 ** 12, growthInterval: 2 });
  const log = [];
  for (let i = 0; i < 5; i++) {
    log.push(
      tidy(() => {
        const [x, y] = batch(i).map((t) => t.to(device)) as [Tensor, Tensor];
        // Step 3 overflows in the second conv's weight gradient.
        const plant = i === 3 ? (m: Module) => plantInGrad(m, '1.0.weight', 5, Infinity) : undefined;
        return handStep(model, masters, opt, scaler, x, y, { plant, dtype });
      }),
    );
  }
  const state = [...opt.state.values()].flatMap((s) => Object.values(s).filter(isTensor) as Tensor[]);
  return { model, masters, state, scaler, log };
}

const devicesOf = (ts: readonly Tensor[]) => new Set(ts.map((t) => t.device));

describe.skipIf(cuda === null)('mixed precision on cuda', () => {
  for (const flat of [false, true]) {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      it(`${dtype}, ${flat ? 'flat' : 'per-parameter'} masters: everything on cuda, the cpu run's steps`, () => {
        const onCuda = run('cuda', flat, dtype);
        const m = onCuda.masters;
        expect(onCuda.model.parameters()[0]!.dtype).toBe(dtype);
        expect(devicesOf(m.parameters())).toEqual(new Set(['cuda']));
        expect(devicesOf(m.namedMasters().map(([, t]) => t))).toEqual(new Set(['cuda']));
        expect(devicesOf(m.namedMasterGrads().map(([, t]) => t))).toEqual(new Set(['cuda']));
        expect(devicesOf(onCuda.model.parameters().map((p) => p.grad!))).toEqual(new Set(['cuda']));
        expect(devicesOf(onCuda.model.buffers())).toEqual(new Set(['cuda']));
        expect(devicesOf(onCuda.state)).toEqual(new Set(['cuda']));
        // The planted overflow is found on the device and skips exactly that step.
        expect(onCuda.log.map((s) => s.skipped)).toEqual([false, false, false, true, false]);
        if (backendInfo().cuda.emulated) {
          const onCpu = run('cpu', flat, dtype);
          expect(onCuda.log).toEqual(onCpu.log);
          const masters = (r: typeof onCpu) => r.masters.namedMasters().map(([n, t]) => [n, bitsOf(t)]);
          expect(masters(onCuda)).toEqual(masters(onCpu));
          const weights = (r: typeof onCpu) => r.model.parameters().map(bitsOf);
          expect(weights(onCuda)).toEqual(weights(onCpu));
        }
      });
    }
  }

  it('LossScaler.unscaleAndCheck keeps the flags on cuda and finds the first non-finite element', () => {
    const scaler = new LossScaler({ initScale: 4 });
    const grads = [tensor([4, 8], { device: 'cuda' }), tensor([1, Number.NaN, 2], { device: 'cuda' })];
    const r = scaler.unscaleAndCheck(grads, grads, ['a', 'b']);
    expect(r.foundInf).toBe(true);
    expect(r.flags).toEqual([false, true]);
    expect(r.site).toEqual({ name: 'b', index: 1 });
    expect(Array.from(grads[0]!.data())).toEqual([1, 2]);
  });

  it('flat masters refuse a group spread over two devices', () => {
    const model = modelToHalf(makeCnn(7));
    const first = model.parameters()[0]!;
    const moved = first.to('cuda');
    model.setParameter(model.namedParameters()[0]![0], new Parameter(moved));
    moved.dispose();
    expect(() => new MasterParams(model, [model.parameters()], { flat: true })).toThrow(Fp16OptionError);
  });
});
