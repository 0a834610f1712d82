// The training stack on device 'cuda': a real GPU when there is one, else the host emulation
// (MANTISSA_CUDA_EMULATE=1, kernels/cpu/cuda_emulation.cc). The emulation runs the CPU kernels, so a run
// on it must give the cpu run's bits exactly, and any tensor left on the cpu meets the mixed-device
// error a GPU would raise: these tests prove placement, not the GPU kernels' numbers.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callback } from '@mantissa/callbacks';
import { mixedPrecisionOf } from '@mantissa/fp16';
import { simpleCnn } from '@mantissa/nn';
import { backendInfo, type Device, deviceMemory, isTensor, manualSeed, type Tensor } from '@mantissa/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { testDevice } from '../../../test-utils/emulate-cuda';
import { accuracy, Learner } from '../src';
import { mnistSubset } from './mnist';

const info = backendInfo().cuda;
const cuda = testDevice(backendInfo());
const root = mkdtempSync(join(tmpdir(), 'mantissa-learner-device-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Precision = 'fp32' | 'fp16' | 'bf16';

function learner(device: Device, precision: Precision, dir: string): Learner {
  manualSeed(0);
  const learn = new Learner(mnistSubset(device), simpleCnn([3, 16, 16, 2]), {
    metrics: [accuracy],
    silent: true,
    path: dir,
  });
  if (precision === 'fp16') learn.toFp16();
  if (precision === 'bf16') learn.toFp16({ dtype: 'bfloat16' });
  return learn;
}

const bits = (t: Tensor): number[] =>
  t.dtype === 'float32'
    ? Array.from(new Uint32Array((t.data() as Float32Array).buffer))
    : t.dtype === 'float16' || t.dtype === 'bfloat16'
      ? Array.from(t.bits())
      : Array.from(t.data(), Number);

/** Every tensor reachable in a state dict. */
function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (isTensor(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

interface Outcome {
  losses: number[];
  valLosses: (number | null)[];
  metrics: (number | null)[][];
  weights: number[][];
  masters: number[][];
}

function outcome(learn: Learner): Outcome {
  const r = learn.recorder!;
  return {
    losses: [...r.losses],
    valLosses: [...r.valLosses],
    metrics: r.metrics.map((m) => [...m]),
    weights: learn.model.parameters().map(bits),
    masters: (mixedPrecisionOf(learn)?.masters?.parameters() ?? []).map(bits),
  };
}

/** Where every tensor of the run lives: model, masters, optimizer state. */
function devicesOf(learn: Learner): Set<string> {
  const mp = mixedPrecisionOf(learn)?.masters;
  const tensors = [
    ...learn.model.parameters(),
    ...learn.model.buffers(),
    ...(mp?.parameters() ?? []),
    ...tensorsIn(learn.opt?.stateDict()),
  ];
  return new Set(tensors.map((t) => t.device));
}

/** Emulated: the cpu run's bits exactly. A real GPU sums in other orders: close, not equal. */
function expectSameRun(onCuda: Outcome, onCpu: Outcome): void {
  if (info.emulated) {
    expect(onCuda).toEqual(onCpu);
    return;
  }
  expect(onCuda.losses.length).toBe(onCpu.losses.length);
  for (const [i, l] of onCuda.losses.entries()) {
    expect(Math.abs(l - onCpu.losses[i]!)).toBeLessThan(0.05 + 0.05 * onCpu.losses[i]!);
  }
}

describe.skipIf(cuda === null)('the seed model on cuda (emulated without a GPU)', () => {
  for (const precision of ['fp32', 'fp16', 'bf16'] as const) {
    it(`${precision}: fitOneCycle(1) on real MNIST gives the cpu run, with every tensor on cuda`, async () => {
      const onCpu = learner('cpu', precision, join(root, `cpu-${precision}`));
      await onCpu.fitOneCycle(1);
      const onCuda = learner('cuda', precision, join(root, `cuda-${precision}`));
      expect(onCuda.model.parameters().every((p) => p.device === 'cuda')).toBe(true);
      await onCuda.fitOneCycle(1);
      expect(devicesOf(onCuda)).toEqual(new Set(['cuda']));
      expect(devicesOf(onCpu)).toEqual(new Set(['cpu']));
      expectSameRun(outcome(onCuda), outcome(onCpu));
      const [cudaPreds, cudaTargets] = onCuda.getPreds();
      const [cpuPreds, cpuTargets] = onCpu.getPreds();
      expect(cudaPreds.device).toBe('cpu');
      if (info.emulated) expect(bits(cudaPreds)).toEqual(bits(cpuPreds));
      expect(Array.from(cudaTargets.data())).toEqual(Array.from(cpuTargets.data()));
      for (const t of [cudaPreds, cudaTargets, cpuPreds, cpuTargets]) t.dispose();
    });
  }

  it('fp16: save -> load -> continue on cuda gives the cpu run', async () => {
    const run = async (device: Device) => {
      const dir = join(root, `resume-${device}`);
      const first = learner(device, 'fp16', dir);
      await first.fitOneCycle(1);
      first.save('stage1');
      const second = learner(device, 'fp16', dir);
      second.load('stage1');
      expect(devicesOf(second)).toEqual(new Set([device]));
      await second.fit(1, 1e-3);
      expect(devicesOf(second)).toEqual(new Set([device]));
      const probe = mnistSubset('cpu').valid.dataset.get(0) as unknown as [Tensor, Tensor];
      const prediction = second.predict(probe[0]);
      probe[0].dispose();
      probe[1].dispose();
      return { ...outcome(second), prediction };
    };
    const onCpu = await run('cpu');
    const onCuda = await run('cuda');
    expectSameRun(onCuda, onCpu);
    if (info.emulated) expect(onCuda.prediction).toEqual(onCpu.prediction);
  });

  it('device memory is flat over many steps on cuda', async () => {
    class Probe extends Callback {
      allocated: number[] = [];
      override onBatchEnd(): void {
        this.allocated.push(deviceMemory('cuda').allocatedBytes);
      }
    }
    const learn = learner('cuda', 'fp16', join(root, 'memory'));
    const probe = new Probe();
    await learn.fit(4, 1e-3, { callbacks: [probe] });
    // 4 training and 2 validation batches per epoch.
    expect(probe.allocated.length).toBe(24);
    // The first steps create the optimizer's state; from the second epoch on, each step ends with the
    // same bytes on the device as the same step of the last epoch.
    expect(probe.allocated.slice(18, 24)).toEqual(probe.allocated.slice(6, 12));
    expect(new Set(probe.allocated.slice(6, 10)).size).toBe(1);
  });
});
