// Prints the CPU kernel sources for binding.gyp: every kernels/cpu/*.cc. The CUDA side is either the
// library built by scripts/cuda-build.mjs or kernels/cuda/stub.cc (binding.gyp chooses).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const kernels = join('..', '..', 'kernels');
const cpu = readdirSync(join(kernels, 'cpu'))
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => join(kernels, 'cpu', f));
console.log(cpu.join(' '));
