// Compiles kernels/cuda/*.cu with nvcc into build-cuda/libmantissa_cuda.a for binding.gyp, which runs
// this script at configure time and reads one word from stdout: 1 (CUDA built, link the library) or
// 0 (link kernels/cuda/stub.cc instead). Nothing is downloaded; the log goes to stderr.
//
//   MANTISSA_CUDA=0        never build CUDA (the stub answers "not compiled with CUDA")
//   MANTISSA_CUDA=1        a missing nvcc is an error
//   MANTISSA_CUDA_ARCHS    SASS targets, default "80" (plus PTX of the highest, which the driver
//                          JIT-compiles for newer GPUs); "75,80,90" builds every supported one
//   NVCC, CUDA_HOME        where nvcc is (default: nvcc on PATH, then $CUDA_HOME/bin, /usr/local/cuda/bin)
//
//   node scripts/cuda-build.mjs            build when stale, print 1/0
//   node scripts/cuda-build.mjs --dry-run  print 1/0 only (what the build would choose)
//   node scripts/cuda-build.mjs --libdir   print the folder holding libcudart_static.a
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const kernels = join(root, '..', '..', 'kernels');
const outDir = join(root, 'build-cuda');
export const library = join(outDir, 'libmantissa_cuda.a');
const log = (msg) => process.stderr.write(`mantissa cuda: ${msg}\n`);

export function findNvcc(env = process.env) {
  const candidates = [env.NVCC];
  for (const dir of (env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'nvcc'));
  // The default install folder only when no CUDA_HOME/CUDA_PATH names another one.
  const homes = env.CUDA_HOME || env.CUDA_PATH ? [env.CUDA_HOME, env.CUDA_PATH] : ['/usr/local/cuda'];
  for (const home of homes) if (home) candidates.push(join(home, 'bin', 'nvcc'));
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

// nvcc's own idea of its install: `--dryrun` prints TOP=<bin>/.. without compiling anything.
function cudaTop(nvcc) {
  const r = spawnSync(nvcc, ['--dryrun', '-c', '-x', 'cu', '/dev/null', '-o', '/dev/null'], {
    encoding: 'utf8',
  });
  const m = /TOP=(\S+)/.exec(`${r.stdout}${r.stderr}`);
  return m ? m[1] : join(dirname(nvcc), '..');
}

export function libDir(nvcc) {
  const top = cudaTop(nvcc);
  const dirs = ['lib64', 'lib', join('targets', 'x86_64-linux', 'lib'), join('targets', 'sbsa-linux', 'lib')];
  return dirs.map((d) => join(top, d)).find((d) => existsSync(join(d, 'libcudart_static.a'))) ?? null;
}

export function archs(env = process.env) {
  const list = (env.MANTISSA_CUDA_ARCHS ?? '80')
    .split(',')
    .map((a) => a.trim().replace(/^sm_/, ''))
    .filter(Boolean);
  if (list.length === 0 || list.some((a) => !/^\d+$/.test(a))) {
    throw new Error(
      `MANTISSA_CUDA_ARCHS must list compute capabilities such as "75,80,90", got "${env.MANTISSA_CUDA_ARCHS}"`,
    );
  }
  return [...new Set(list)].sort((a, b) => Number(a) - Number(b));
}

function sources() {
  return readdirSync(join(kernels, 'cuda'))
    .filter((f) => f.endsWith('.cu'))
    .sort()
    .map((f) => join(kernels, 'cuda', f));
}

function newestInput() {
  const files = [
    ...readdirSync(join(kernels, 'cuda')).map((f) => join(kernels, 'cuda', f)),
    join(kernels, 'ops.def'),
    join(kernels, 'include', 'mantissa', 'abi.h'),
    join(kernels, 'cpu', 'kernel.h'),
    join(kernels, 'cpu', 'half.h'),
    fileURLToPath(import.meta.url),
  ];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

/** Builds the library when stale (unless `dryRun`). Returns { enabled, rebuilt, seconds, reason }. */
export function buildCuda(env = process.env, dryRun = false) {
  const mode = env.MANTISSA_CUDA;
  if (mode === '0') return { enabled: false, rebuilt: false, reason: 'MANTISSA_CUDA=0' };
  const nvcc = findNvcc(env);
  if (nvcc === null) {
    if (mode === '1') throw new Error('MANTISSA_CUDA=1 but nvcc was not found (set NVCC or CUDA_HOME)');
    return { enabled: false, rebuilt: false, reason: 'nvcc not found' };
  }
  if (libDir(nvcc) === null) {
    if (mode === '1') throw new Error(`MANTISSA_CUDA=1 but libcudart_static.a was not found beside ${nvcc}`);
    return { enabled: false, rebuilt: false, reason: 'libcudart_static.a not found' };
  }
  const targets = archs(env);
  if (dryRun) return { enabled: true, rebuilt: false, reason: `would build with ${nvcc}` };
  const stampFile = join(outDir, 'stamp.json');
  const stamp = JSON.stringify({ nvcc, targets, sources: sources() });
  if (
    existsSync(library) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp &&
    statSync(library).mtimeMs > newestInput()
  ) {
    return { enabled: true, rebuilt: false };
  }
  mkdirSync(outDir, { recursive: true });
  const top = targets[targets.length - 1];
  const partial = join(outDir, 'libmantissa_cuda.partial.a');
  const gencode = targets.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
  gencode.push('-gencode', `arch=compute_${top},code=compute_${top}`);
  const args = [
    '-lib',
    '-o',
    partial,
    '-O3',
    // No a * b + c contracted into an fma the CPU kernels do not do: results must match them bit for bit.
    '--fmad=false',
    '-std=c++17',
    '--threads',
    '0',
    '-Xcompiler',
    '-fPIC',
    `-I${join(kernels, 'include')}`,
    ...gencode,
    ...sources(),
  ];
  log(`nvcc for sm_${targets.join(', sm_')} + compute_${top} PTX (${sources().length} files)`);
  // Built under another name and renamed: a failed nvcc never leaves a half-written library behind.
  const started = Date.now();
  const r = spawnSync(nvcc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`nvcc failed (exit ${r.status ?? r.signal})`);
  renameSync(partial, library);
  writeFileSync(stampFile, stamp);
  const seconds = (Date.now() - started) / 1000;
  log(`built ${library} in ${seconds.toFixed(1)} s`);
  return { enabled: true, rebuilt: true, seconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // --dry-run: print the decision (1/0) without compiling anything.
  if (process.argv[2] === '--libdir') {
    const nvcc = findNvcc();
    console.log(nvcc ? (libDir(nvcc) ?? '') : '');
  } else {
    try {
      const r = buildCuda(process.env, process.argv[2] === '--dry-run');
      if (!r.enabled) log(`building without CUDA (${r.reason})`);
      console.log(r.enabled ? 1 : 0);
    } catch (e) {
      log(e.message);
      process.exit(1);
    }
  }
}
