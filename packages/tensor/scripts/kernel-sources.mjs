// Prints the CPU kernel sources for binding.gyp: every kernels/cpu/*.cc. The CUDA side is either the
// library built by scripts/cuda-build.mjs or kernels/cuda/stub.cc (binding.gyp chooses).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kernelsDir, packageRoot } from './kernels-dir.mjs';

const kernels = kernelsDir();
const cpu = readdirSync(join(packageRoot, kernels, 'cpu'))
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => join(kernels, 'cpu', f));
console.log(cpu.join(' '));
