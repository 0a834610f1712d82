// DataBunch's device (fastai's `DataBunch.create(..., device=)` and `defaults.device`): batches move to
// it before the bunch's transforms. On 'cuda': a real GPU, or the host emulation without one.

import { ArgumentError, backendInfo, deviceMemory, memory, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { testDevice } from '../../../test-utils/emulate-cuda';
import { deviceFromEnv } from '../src/defaults';
import { type Batch, DataBunch, defaults, disposeBatch, TensorDataset } from '../src/index';

const cuda = testDevice(backendInfo());

function ds(n: number): TensorDataset {
  return tidy(
    () =>
      new TensorDataset(
        tensor(
          Float32Array.from({ length: n }, (_, i) => i),
          { shape: [n, 1] },
        ),
        tensor(Int32Array.from({ length: n }, (_, i) => i % 2)),
      ),
  );
}

describe('DataBunch device', () => {
  it("defaults to defaults.device, 'cpu' unless MANTISSA_DEVICE says otherwise", () => {
    expect(defaults.device).toBe(process.env.MANTISSA_DEVICE || 'cpu');
    const data = DataBunch.create(ds(8), ds(4), { bs: 4 });
    expect(data.device).toBe(defaults.device);
    expect([data.train.device, data.valid.device]).toEqual([defaults.device, defaults.device]);
  });

  it('refuses a device that is not one', () => {
    expect(() => DataBunch.create(ds(8), ds(4), { device: 'gpu' as never })).toThrow(ArgumentError);
  });

  it('MANTISSA_DEVICE names the default device; a bad value is refused', () => {
    expect(deviceFromEnv(undefined)).toBe('cpu');
    expect(deviceFromEnv('')).toBe('cpu');
    expect(deviceFromEnv('cuda')).toBe('cuda');
    expect(deviceFromEnv('cuda:1')).toBe('cuda:1');
    expect(() => deviceFromEnv('tpu')).toThrow(/MANTISSA_DEVICE/);
  });
});

describe.skipIf(cuda === null)('DataBunch on cuda', () => {
  it('moves x and y to the device before the transforms, which see device tensors', () => {
    const seen: string[] = [];
    const tf = ([x, y]: Batch): Batch => {
      seen.push(`${x.device}/${y.device}`);
      return [x.half(), y];
    };
    const data = DataBunch.create(ds(8), ds(4), { bs: 4, device: 'cuda', transforms: [tf] });
    expect(data.device).toBe('cuda');
    for (const loader of [data.train, data.valid]) {
      for (const b of loader) {
        expect([b[0].device, b[1].device, b[0].dtype]).toEqual(['cuda', 'cuda', 'float16']);
        disposeBatch(b);
      }
    }
    expect(new Set(seen)).toEqual(new Set(['cuda/cuda']));
  });

  it('leaves nothing behind: host and device memory flat over epochs', () => {
    const data = DataBunch.create(ds(64), ds(16), { bs: 8, device: 'cuda', seed: 1 });
    const epoch = () => {
      for (const b of data.train) disposeBatch(b);
    };
    epoch();
    const host = memory().numTensors;
    const dev = deviceMemory('cuda').allocatedBytes;
    for (let i = 0; i < 3; i++) epoch();
    expect(memory().numTensors).toBe(host);
    expect(deviceMemory('cuda').allocatedBytes).toBe(dev);
  });

  it('defaults.device is read when a bunch is made', () => {
    const before = defaults.device;
    defaults.device = 'cuda';
    try {
      expect(DataBunch.create(ds(8), ds(4)).device).toBe('cuda');
    } finally {
      defaults.device = before;
    }
  });
});
