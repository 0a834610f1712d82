// Every CUDA result against the CPU result (test/device/parity.mjs). Skipped without a GPU; the GPU
// machine runs the same checks through scripts/device-check.sh.
import { describe, expect, it } from 'vitest';
import * as mt from '../src/index';
import { runMemoryChecks, runParity } from './device/parity.mjs';
import { hasCuda } from './helpers/devices';

describe.skipIf(!hasCuda)('cuda matches the cpu', () => {
  it('casts, creation, elementwise ops, where and reductions', () => {
    const failed = runParity(mt).filter((r) => !r.ok);
    expect(failed).toEqual([]);
  });

  it('device memory: accounting, cache, out-of-memory, staging, mixed devices', () => {
    const failed = runMemoryChecks(mt).filter((r) => !r.ok);
    expect(failed).toEqual([]);
  });
});
