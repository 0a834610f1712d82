// Where the C++ kernel sources are, relative to this package's root (binding.gyp paths are relative
// to it). In the monorepo they live in the top-level kernels/; a packed @mantissa/tensor carries a copy
// in its own kernels/ (made by `node scripts/native.mjs prepack`), so a source build works outside the
// monorepo too. The monorepo's copy wins whenever both exist, so a leftover packed copy never shadows
// edited kernels.
//
//   node scripts/kernels-dir.mjs   prints the folder (for binding.gyp)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = dirname(dirname(fileURLToPath(import.meta.url)));

export function kernelsDir() {
  const monorepo = join('..', '..');
  if (
    existsSync(join(packageRoot, monorepo, 'pnpm-workspace.yaml')) &&
    existsSync(join(packageRoot, monorepo, 'kernels', 'ops.def'))
  ) {
    return join(monorepo, 'kernels');
  }
  if (existsSync(join(packageRoot, 'kernels', 'ops.def'))) return 'kernels';
  throw new Error(
    `@mantissa/tensor: kernel sources not found (looked in ${join(packageRoot, 'kernels')} and the monorepo's kernels/)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(kernelsDir());
