// The host emulation of a CUDA device (kernels/cpu/cuda_emulation.cc): placement and memory accounting
// behave as on a GPU. Runs the device parity suite and the memory checks against it, so the suite's
// plumbing is exercised in CI too; with a real GPU the same checks run on the GPU.
import '../../../test-utils/emulate-cuda';

process.env.MANTISSA_CUDA_EMULATE_MB ??= '256';

import { describe, expect, it } from 'vitest';
import * as mt from '../src/index';
import { runMemoryChecks, runParity } from './device/parity.mjs';

const info = mt.backendInfo().cuda;

describe.skipIf(info.devices === 0)('cuda (emulated without a GPU)', () => {
  it('reports itself', () => {
    if (!info.emulated) return; // a real GPU: nothing emulated to describe
    expect(info).toEqual({
      compiled: true,
      devices: 1,
      emulated: true,
      reason: 'emulated on the host (MANTISSA_CUDA_EMULATE=1)',
      blas: null, // the CPU kernels run: no GEMM library
      gemmPath: 'none',
    });
  });

  it('passes the device parity suite', () => {
    expect(runParity(mt, 'cuda').filter((r) => !r.ok)).toEqual([]);
  });

  it('passes the device memory checks', () => {
    expect(runMemoryChecks(mt, 'cuda').filter((r) => !r.ok)).toEqual([]);
  });

  it('moves values both ways and keeps the device on results', () => {
    const a = mt.tensor([1, 2, 3], { dtype: 'float16' }).to('cuda');
    const b = a.mul(2).add(1);
    expect(b.device).toBe('cuda');
    expect(Array.from(b.data())).toEqual([3, 5, 7]);
    const back = b.to('cpu');
    expect(back.device).toBe('cpu');
    expect(Array.from(back.data())).toEqual([3, 5, 7]);
    for (const t of [a, b, back]) t.dispose();
  });

  it('refuses a cpu/cuda mix like a GPU, naming the kernel and the devices', () => {
    const a = mt.ones([2]);
    const b = mt.ones([2], { device: 'cuda' });
    expect(() => a.add(b)).toThrow(mt.MantissaError);
    expect(() => a.add(b)).toThrow(/cuda/);
    a.dispose();
    b.dispose();
  });

  it('refuses a device it does not have', () => {
    if (!info.emulated) return;
    expect(() => mt.zeros([2], { device: 'cuda:1' })).toThrow(/CUDA device 1 requested but 1 device\(s\)/);
  });

  it('out of memory empties the cache and retries before failing', () => {
    if (!info.emulated) return; // the 256 MiB capacity is the emulation's
    mt.emptyCache();
    const base = mt.deviceMemory('cuda').allocatedBytes;
    const a = mt.zeros([25 << 20], { device: 'cuda' }); // 100 MiB
    a.dispose();
    expect(mt.deviceMemory('cuda').cachedBytes).toBe(100 << 20);
    // 200 MiB fits only once the cached 100 MiB block is given back.
    const b = mt.zeros([50 << 20], { device: 'cuda' });
    const m = mt.deviceMemory('cuda');
    expect(m.cachedBytes).toBe(0);
    expect(m.allocatedBytes - base).toBe(200 << 20);
    expect(() => mt.zeros([20 << 20], { device: 'cuda' })).toThrow(mt.OutOfMemoryError);
    b.dispose();
    expect(mt.deviceMemory('cuda').allocatedBytes).toBe(base);
  });

  it('copy_ crosses devices, as torch: host values into a cuda tensor and back', () => {
    const dst = mt.zeros([3], { dtype: 'float16', device: 'cuda' });
    const src = mt.tensor([1.5, -2, 3.25]);
    dst.copy_(src);
    expect(dst.device).toBe('cuda');
    expect(Array.from(dst.data())).toEqual([1.5, -2, 3.25]);
    const host = mt.zeros([3]);
    host.copy_(dst);
    expect(Array.from(host.data())).toEqual([1.5, -2, 3.25]);
    for (const t of [dst, src, host]) t.dispose();
  });

  it('scalar operands follow the tensors to cuda (where with a number)', () => {
    const c = mt.tensor([true, false, true], { device: 'cuda' });
    const x = mt.tensor([1, 2, 3], { device: 'cuda' });
    const out = mt.where(c, x, -1);
    expect(out.device).toBe('cuda');
    expect(Array.from(out.data())).toEqual([1, -1, 3]);
    const both = mt.where(c, 5, 0);
    expect(Array.from(both.data())).toEqual([5, 0, 5]);
    for (const t of [c, x, out, both]) t.dispose();
  });

  it('synchronize is a no-op that checks the device', () => {
    expect(() => mt.synchronize('cuda')).not.toThrow();
  });
});
