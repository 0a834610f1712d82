// Import this FIRST in a test file that runs on device 'cuda': without a GPU it asks for the host
// emulation of one CUDA device (kernels/cpu/cuda_emulation.cc), which the addon chooses on its first
// CUDA call, so the variable must be set before anything touches a device. With a real GPU it changes
// nothing (the emulation never shadows a real device) and the same tests run on the GPU.
// Test files run in separate forks (vitest.base.ts), so this does not leak into the cpu test files.
process.env.MANTISSA_CUDA_EMULATE ??= '1';

/** The device a placement test runs on: 'cuda' (real or emulated), or null when neither exists. */
export function testDevice(info: { cuda: { devices: number } }): 'cuda' | null {
  return info.cuda.devices > 0 ? 'cuda' : null;
}
