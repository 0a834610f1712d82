// Compiles kernels/cuda/*.cu with nvcc into build-cuda/libmantissa_cuda.a for binding.gyp, which runs
// this script at configure time and reads one word from stdout: 1 (CUDA built, link the library) or
// 0 (link kernels/cuda/stub.cc instead). Nothing is downloaded; the log goes to stderr.
//
//   MANTISSA_CUDA=0        never build CUDA (the stub answers "not compiled with CUDA")
//   MANTISSA_CUDA=1        a missing nvcc is an error
//   MANTISSA_CUDA_ARCHS    SASS targets, default "75,80,90" (T4, A100, H100/H200) plus PTX of the
//                          highest, which the driver JIT-compiles for newer GPUs. "80" alone halves the
//                          compile time (its compute_80 PTX still runs on sm_90, JIT-compiled once)
//   MANTISSA_CUDA_JOBS     parallel nvcc processes (default: the core count)
//   NVCC, CUDA_HOME        where nvcc is (default: nvcc on PATH, then $CUDA_HOME/bin, /usr/local/cuda/bin)
//
//   node scripts/cuda-build.mjs            build when stale, print 1/0
//   node scripts/cuda-build.mjs --dry-run  print 1/0 only (what the build would choose)
//   node scripts/cuda-build.mjs --libdir   print the folder holding libcudart_static.a
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelsDir } from './kernels-dir.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const kernels = join(root, kernelsDir());
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
  const list = (env.MANTISSA_CUDA_ARCHS || '75,80,90')
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
    ...readdirSync(join(kernels, 'include', 'mantissa')).map((f) => join(kernels, 'include', 'mantissa', f)),
    // The CUDA files include the CPU's shared headers (argument checks, half.h): any of them may matter.
    ...readdirSync(join(kernels, 'cpu'))
      .filter((f) => f.endsWith('.h'))
      .map((f) => join(kernels, 'cpu', f)),
    fileURLToPath(import.meta.url),
  ];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

/** Builds the library when stale (unless `dryRun`). Returns { enabled, rebuilt, seconds, reason }. */
export async function buildCuda(env = process.env, dryRun = false) {
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
  mkdirSync(join(outDir, 'obj'), { recursive: true });
  const top = targets[targets.length - 1];
  const gencode = targets.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
  gencode.push('-gencode', `arch=compute_${top},code=compute_${top}`);
  const flags = [
    '-O3',
    // No a * b + c contracted into an fma the CPU kernels do not do: results must match them bit for bit.
    '--fmad=false',
    '-std=c++17',
    '-Xcompiler',
    '-fPIC',
    `-I${join(kernels, 'include')}`,
    ...gencode,
  ];
  const files = sources();
  const jobs = Math.max(1, Math.min(files.length, Number(env.MANTISSA_CUDA_JOBS) || availableParallelism()));
  log(`nvcc for sm_${targets.join(', sm_')} + compute_${top} PTX (${files.length} files, ${jobs} at a time)`);
  const started = Date.now();
  // One nvcc per file, `jobs` at a time (nvcc compiles the files of one command one after another).
  const objects = files.map((f) => join(outDir, 'obj', basename(f).replace(/\.cu$/, '.o')));
  let next = 0;
  let failure = null;
  const worker = async () => {
    while (next < files.length && failure === null) {
      const i = next++;
      const code = await new Promise((done) => {
        const child = spawn(nvcc, [...flags, '-c', files[i], '-o', objects[i]], {
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('close', (c) => done(c ?? 1));
        child.on('error', () => done(1));
      });
      if (code !== 0) failure = `nvcc failed on ${basename(files[i])} (exit ${code})`;
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  if (failure !== null) throw new Error(failure);
  // Archived under another name and renamed: a failed build never leaves a half-written library behind.
  const partial = join(outDir, 'libmantissa_cuda.partial.a');
  rmSync(partial, { force: true });
  const ar = spawnSync(nvcc, ['-lib', '-o', partial, ...objects], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (ar.status !== 0) throw new Error(`nvcc -lib failed (exit ${ar.status ?? ar.signal})`);
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
      const r = await buildCuda(process.env, process.argv[2] === '--dry-run');
      if (!r.enabled) log(`building without CUDA (${r.reason})`);
      console.log(r.enabled ? 1 : 0);
    } catch (e) {
      log(e.message);
      process.exit(1);
    }
  }
}
