// Builds the native addon with node-gyp, never downloading anything: node-gyp is pointed at the
// headers that ship beside the running node (e.g. /usr/include/node), which it would otherwise try
// to fetch from the internet.
//
//   node scripts/native.mjs install   build unless an addon already loads (the package's install step)
//   node scripts/native.mjs build     build when a kernel or binding source is newer than the addon (turbo)
//   node scripts/native.mjs rebuild   always rebuild
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCuda, library as cudaLibrary } from './cuda-build.mjs';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const mode = process.argv[2] ?? 'rebuild';
const env = { ...process.env };

const prefix = dirname(dirname(process.execPath));
if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = prefix;
}
if (!env.npm_config_nodedir) {
  console.error(
    `mantissa: node headers not found beside ${process.execPath}; set npm_config_nodedir to a folder ` +
      'containing include/node/node_api.h (node-gyp would otherwise try to download them).',
  );
  process.exit(1);
}

if (mode === 'install' && env.npm_config_build_from_source !== 'true') {
  try {
    require('node-gyp-build')(root);
    process.exit(0);
  } catch {
    // no prebuilt or previously built addon: compile below
  }
}

function newestSource(dirs) {
  let newest = 0;
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile())
        newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    }
  }
  return newest;
}

const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const nodeGyp = (...args) => {
  const result = spawnSync(process.execPath, [gyp, ...args], { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
const kernelSources = () =>
  spawnSync(process.execPath, [join(root, 'scripts', 'kernel-sources.mjs')], { cwd: root }).stdout.toString();
const listFile = join(root, 'build', 'kernel-sources.txt');

if (mode === 'build') {
  // Incremental: make recompiles only what changed; reconfigure when the set of kernel files or
  // binding.gyp changed (the source list is fixed at configure time). The CUDA library is built by
  // scripts/cuda-build.mjs outside make, so a rebuilt library forces the relink here.
  const addon = join(root, 'build', 'Release', 'mantissa.node');
  if (existsSync(join(root, 'build', 'Makefile')) && (await buildCuda(env)).enabled && existsSync(addon)) {
    // make links obj.target/mantissa.node and copies it to Release/: both go, or it only copies.
    if (statSync(cudaLibrary).mtimeMs > statSync(addon).mtimeMs) {
      for (const f of [addon, join(root, 'build', 'Release', 'obj.target', 'mantissa.node')])
        rmSync(f, { force: true });
    }
  }
  const sources = [join(root, '..', '..', 'kernels'), join(root, 'native'), join(root, 'scripts')];
  const built = existsSync(addon) ? statSync(addon).mtimeMs : 0;
  if (built > Math.max(newestSource(sources), statSync(join(root, 'binding.gyp')).mtimeMs)) process.exit(0);
  const list = kernelSources();
  const makefile = join(root, 'build', 'Makefile');
  const stale =
    !existsSync(makefile) ||
    !existsSync(listFile) ||
    readFileSync(listFile, 'utf8') !== list ||
    statSync(join(root, 'binding.gyp')).mtimeMs > statSync(makefile).mtimeMs;
  if (stale) nodeGyp('configure');
  nodeGyp('build', '--jobs', 'max');
  writeFileSync(listFile, list);
  process.exit(0);
}

nodeGyp('rebuild', '--jobs', 'max');
writeFileSync(listFile, kernelSources());
