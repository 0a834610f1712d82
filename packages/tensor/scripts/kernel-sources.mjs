// Prints the kernel sources for binding.gyp: every kernels/cpu/*.cc plus the CUDA stub (the CUDA
// backend replaces the stub when it is built).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kernelsDir, packageRoot } from './kernels-dir.mjs';

const kernels = kernelsDir();
const cpu = readdirSync(join(packageRoot, kernels, 'cpu'))
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => join(kernels, 'cpu', f));
console.log([...cpu, join(kernels, 'cuda', 'stub.cc')].join(' '));
