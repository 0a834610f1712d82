// Builds the native addon with node-gyp, never downloading anything: node-gyp is pointed at the
// headers that ship beside the running node (e.g. /usr/include/node), which it would otherwise try
// to fetch from the internet.
//
//   node scripts/native.mjs install   build unless an addon already loads (the package's install step)
//   node scripts/native.mjs build     build when a kernel or binding source is newer than the addon (turbo)
//   node scripts/native.mjs rebuild   always rebuild
//   node scripts/native.mjs prebuild  prebuilds/<platform>-<arch>/ with prebuildify (N-API: one binary for
//                                     every Node >= 20), compiled by the same binding.gyp as every build
//   node scripts/native.mjs prepack   copy the kernel sources into the package (source builds outside
//                                     the monorepo); refuse a prebuild older than the sources
//   node scripts/native.mjs postpack  remove that copy
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCuda, library as cudaLibrary } from './cuda-build.mjs';
import { kernelsDir } from './kernels-dir.mjs';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const mode = process.argv[2] ?? 'rebuild';
const env = { ...process.env };
const packedKernels = join(root, 'kernels');
const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

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
const sourceDirs = () => [join(root, kernelsDir()), join(root, 'native'), join(root, 'scripts')];

if (mode === 'postpack') {
  if (existsSync(join(root, '..', '..', 'pnpm-workspace.yaml')))
    rmSync(packedKernels, { recursive: true, force: true });
  process.exit(0);
}
if (mode === 'prepack') {
  const source = join(root, kernelsDir());
  if (source !== packedKernels) {
    rmSync(packedKernels, { recursive: true, force: true });
    cpSync(source, packedKernels, { recursive: true });
  }
  const prebuilds = existsSync(prebuildDir)
    ? readdirSync(prebuildDir).filter((f) => f.endsWith('.node'))
    : [];
  if (prebuilds.length === 0) {
    console.warn(
      `@mantissa/tensor: packing without a prebuild in ${prebuildDir}: installs will compile from source`,
    );
  } else {
    const built = Math.min(...prebuilds.map((f) => statSync(join(prebuildDir, f)).mtimeMs));
    const sources = Math.max(newestSource(sourceDirs()), statSync(join(root, 'binding.gyp')).mtimeMs);
    if (built < sources) {
      console.error(
        `@mantissa/tensor: the prebuild in ${prebuildDir} is older than the kernel sources; ` +
          'run `pnpm --filter @mantissa/tensor prebuild` (or delete prebuilds/) before packing',
      );
      process.exit(1);
    }
  }
  process.exit(0);
}

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

// node-gyp is a devDependency; an install outside the monorepo uses the one its package manager
// bundles (npm and pnpm name it in npm_config_node_gyp).
function findNodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    if (env.npm_config_node_gyp && existsSync(env.npm_config_node_gyp)) return env.npm_config_node_gyp;
    console.error(
      '@mantissa/tensor: node-gyp not found; install it (npm i -g node-gyp) to build from source',
    );
    process.exit(1);
  }
}
const gyp = findNodeGyp();
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
  const built = existsSync(addon) ? statSync(addon).mtimeMs : 0;
  if (built > Math.max(newestSource(sourceDirs()), statSync(join(root, 'binding.gyp')).mtimeMs))
    process.exit(0);
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

if (mode === 'prebuild') {
  // prebuildify runs `node-gyp rebuild` through PATH (node_modules/.bin) with the environment of this
  // process, so any build switch binding.gyp reads (MANTISSA_CUDA, NVCC, ...) reaches it unchanged.
  process.env.npm_config_nodedir = env.npm_config_nodedir;
  process.env.JOBS ??= 'max';
  rmSync(prebuildDir, { recursive: true, force: true });
  const prebuildify = require('prebuildify');
  prebuildify(
    {
      cwd: root,
      targets: [process.versions.node],
      napi: true,
      strip: true,
      nodeGyp: gyp.endsWith('.js') ? join(root, 'node_modules', '.bin', 'node-gyp') : gyp,
    },
    (err) => {
      if (err) {
        console.error(`@mantissa/tensor: prebuildify failed: ${err.message ?? err}`);
        process.exit(1);
      }
      // prebuildify moves the addon out of build/Release; put a copy back so the workspace keeps
      // loading build/Release (node-gyp-build's first choice) and `build` stays incremental.
      const [file] = readdirSync(prebuildDir).filter((f) => f.endsWith('.node'));
      mkdirSync(join(root, 'build', 'Release'), { recursive: true });
      copyFileSync(join(prebuildDir, file), join(root, 'build', 'Release', 'mantissa.node'));
      writeFileSync(listFile, kernelSources());
      console.log(`@mantissa/tensor: ${join('prebuilds', `${process.platform}-${process.arch}`, file)}`);
    },
  );
} else {
  nodeGyp('rebuild', '--jobs', 'max');
  writeFileSync(listFile, kernelSources());
}
