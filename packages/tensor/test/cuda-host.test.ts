// The CUDA path's numerics without a GPU: test/cuda/host-check.cu compiles the kernels' scalar code
// (__host__ __device__ in kernels/cuda) for the host with nvcc and compares it bit for bit with the CPU
// reference (half.h): half decoding, float/double -> float16/bfloat16/float32/int32 rounding, NaN
// payloads, exp_f32. Skipped where nvcc is absent.
import { describe, expect, it } from 'vitest';
import { buildHostProgram, nvcc, runFamilies } from './helpers/host-nvcc';

describe.skipIf(nvcc === null)('the CUDA kernels’ conversions, run on the host', () => {
  it('equal the CPU reference bit for bit', () => {
    const families = runFamilies(buildHostProgram('host-check'));
    expect(families.map((f) => f.name).sort()).toEqual(
      [
        'double-to-all',
        'double-to-half',
        'exp_f32',
        'float-to-double',
        'float-to-half',
        'half-decode',
      ].sort(),
    );
    for (const f of families) {
      expect(f.checked, f.name).toBeGreaterThan(100000);
      expect(f, f.first).toMatchObject({ bad: 0 });
    }
  }, 60_000);
});
