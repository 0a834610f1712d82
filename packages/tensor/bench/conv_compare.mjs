// Runs bench/conv.mjs (ours) and bench/torch_conv_ref.py (PyTorch on OpenBLAS / oneDNN, 2 threads, as in
// reference/baselines.md) alternately, BENCH_ROUNDS times (default 5), and prints as JSON lines, per dtype
// and layer, the median over the rounds of each side's best forwardMs and trainMs and ours / PyTorch, then
// the seed model's totals. The machines are shared: only ratios from one run mean anything. Run after
// `pnpm build`. BENCH_DTYPES / BENCH_REPS / BENCH_BATCH pass through; BENCH_RAW=1 also prints every row.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const threads = process.env.MANTISSA_NUM_THREADS ?? process.env.OPENBLAS_NUM_THREADS ?? '2';
const python = process.env.PYTHON ?? '/usr/bin/python3';
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const env = { BENCH_DTYPES: process.env.BENCH_DTYPES ?? 'float32,bfloat16' };

function run(cmd, args, extra) {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, ...env, ...extra },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

const rows = [];
for (let r = 0; r < rounds; r++) {
  rows.push(...run(process.execPath, [join(here, 'conv.mjs')], { MANTISSA_NUM_THREADS: threads }));
  rows.push(
    ...run(python, [join(here, 'torch_conv_ref.py')], {
      LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-pthread',
      OPENBLAS_NUM_THREADS: threads,
      // glibc returns freed blocks of this size to the OS and faults them back in on the next call,
      // which some runs pay on every call (0.5 ms instead of 0.1 for the first layer's forward): keep
      // them, so that PyTorch is measured at its best (our allocator caches its blocks).
      MALLOC_MMAP_THRESHOLD_: String(64 << 20),
      MALLOC_TRIM_THRESHOLD_: String(256 << 20),
      MALLOC_TOP_PAD_: String(64 << 20),
    }),
  );
}
if (process.env.BENCH_RAW) for (const r of rows) console.log(JSON.stringify(r));

const median = (v) => {
  const s = v.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (v) => (v === null ? null : +v.toFixed(4));
const ratio = (a, b) => (a === null || b === null ? null : +(a / b).toFixed(3));

const groups = new Map();
for (const r of rows.filter((x) => x.bench === 'conv2d')) {
  const key = `${r.dtype}|${r.layer}`;
  if (!groups.has(key))
    groups.set(key, { dtype: r.dtype, layer: r.layer, inputGrad: r.inputGrad, mantissa: [], torch: [] });
  groups.get(key)[r.impl].push(r);
}
const totals = new Map();
for (const g of groups.values()) {
  const out = { bench: 'conv2d-compare', dtype: g.dtype, layer: g.layer, inputGrad: g.inputGrad, rounds };
  for (const what of ['forwardMs', 'trainMs']) {
    const ours = median(g.mantissa.map((r) => r[what]));
    const theirs = median(g.torch.map((r) => r[what]));
    out[what] = { mantissa: round(ours), torch: round(theirs), ratio: ratio(ours, theirs) };
    const t = totals.get(`${g.dtype}|${what}`) ?? { mantissa: 0, torch: 0 };
    t.mantissa += ours ?? Number.NaN;
    t.torch += theirs ?? Number.NaN;
    totals.set(`${g.dtype}|${what}`, t);
  }
  console.log(JSON.stringify(out));
}
for (const [key, t] of totals) {
  const [dtype, what] = key.split('|');
  const ok = Number.isFinite(t.mantissa) && Number.isFinite(t.torch);
  console.log(
    JSON.stringify({
      bench: 'conv2d-compare-total',
      dtype,
      what,
      mantissa: ok ? round(t.mantissa) : null,
      torch: ok ? round(t.torch) : null,
      ratio: ok ? ratio(t.mantissa, t.torch) : null,
    }),
  );
}
