// Runs bench/gemm.mjs (ours) and bench/torch_ref.py (PyTorch on OpenBLAS / oneDNN, as in
// reference/baselines.md) in one go and prints, as JSON lines, each product's GFLOP/s on both sides and
// ours / PyTorch. Threads: MANTISSA_NUM_THREADS / OPENBLAS_NUM_THREADS (default 2 for both).
// Run after `pnpm build`. BENCH_SIZES / BENCH_DTYPES / BENCH_REPS pass through.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const threads = process.env.MANTISSA_NUM_THREADS ?? process.env.OPENBLAS_NUM_THREADS ?? '2';
const python = process.env.PYTHON ?? '/usr/bin/python3';

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

// OpenBLAS fixes its thread count at load: one PyTorch process per thread count.
const torch = [...new Set(['1', threads])].flatMap((t) =>
  run(python, [join(here, 'torch_ref.py')], {
    LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-pthread',
    OPENBLAS_NUM_THREADS: t,
  }),
);
const ours = run(process.execPath, [join(here, 'gemm.mjs')], { MANTISSA_NUM_THREADS: threads });
const key = (r) => `${r.dtype}/${r.n}/${r.threads}`;
const theirs = new Map(torch.filter((r) => r.bench === 'matmul').map((r) => [key(r), r]));
for (const env of [...ours, ...torch].filter((r) => r.bench === 'env')) console.log(JSON.stringify(env));
const f32 = new Map(ours.filter((r) => r.dtype === 'float32').map((r) => [`${r.n}/${r.threads}`, r.GFLOPs]));
for (const r of ours.filter((o) => o.bench === 'matmul')) {
  const t = theirs.get(key(r));
  const torchGF = t?.GFLOPs ?? null;
  console.log(
    JSON.stringify({
      dtype: r.dtype,
      n: r.n,
      threads: r.threads,
      mantissa: r.GFLOPs,
      torch: torchGF,
      ratio: torchGF ? +(r.GFLOPs / torchGF).toFixed(3) : null,
      vsOurF32: f32.has(`${r.n}/${r.threads}`)
        ? +(r.GFLOPs / f32.get(`${r.n}/${r.threads}`)).toFixed(3)
        : null,
    }),
  );
}
