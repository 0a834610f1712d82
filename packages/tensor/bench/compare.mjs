// Runs bench/gemm.mjs (ours) and bench/torch_ref.py (PyTorch on OpenBLAS / oneDNN, as in
// reference/baselines.md) in one go and prints, as JSON lines, each product's GFLOP/s on both sides and
// ours / PyTorch. Threads: MANTISSA_NUM_THREADS / OPENBLAS_NUM_THREADS (default 2 for both).
// Run after `pnpm build`. BENCH_SIZES / BENCH_DTYPES / BENCH_REPS pass through; BENCH_ROUNDS below.
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

// Shared machines are noisy: BENCH_ROUNDS rounds (default 2) alternate the two sides, and each keeps
// its best figure. OpenBLAS fixes its thread count at load: one PyTorch process per thread count.
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const torch = [];
const ours = [];
for (let r = 0; r < rounds; r++) {
  for (const t of [...new Set(['1', threads])]) {
    torch.push(
      ...run(python, [join(here, 'torch_ref.py')], {
        LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-pthread',
        OPENBLAS_NUM_THREADS: t,
      }),
    );
  }
  ours.push(...run(process.execPath, [join(here, 'gemm.mjs')], { MANTISSA_NUM_THREADS: threads }));
}
const key = (r) => `${r.dtype}/${r.n}/${r.threads}`;
function bestOf(rows) {
  const best = new Map();
  for (const r of rows.filter((x) => x.bench === 'matmul')) {
    const seen = best.get(key(r));
    if (seen === undefined || (r.GFLOPs ?? -1) > (seen.GFLOPs ?? -1)) best.set(key(r), r);
  }
  return best;
}
const theirs = bestOf(torch);
const mine = bestOf(ours);
const envs = new Map([...ours, ...torch].filter((r) => r.bench === 'env').map((r) => [JSON.stringify(r), r]));
for (const env of envs.keys()) console.log(env);
const f32 = new Map(
  [...mine.values()].filter((r) => r.dtype === 'float32').map((r) => [`${r.n}/${r.threads}`, r.GFLOPs]),
);
for (const r of mine.values()) {
  const torchGF = theirs.get(key(r))?.GFLOPs ?? null;
  const ownF32 = f32.get(`${r.n}/${r.threads}`);
  console.log(
    JSON.stringify({
      dtype: r.dtype,
      n: r.n,
      threads: r.threads,
      mantissa: r.GFLOPs,
      torch: torchGF,
      ratio: torchGF ? +(r.GFLOPs / torchGF).toFixed(3) : null,
      vsOurF32: ownF32 ? +(r.GFLOPs / ownF32).toFixed(3) : null,
    }),
  );
}
