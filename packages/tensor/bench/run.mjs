// Memory-bound kernels against a plain copy of the same bytes, as JSON lines:
// {"bench": "...", "n": ..., "ms": best-of-N, "GBps": bytes read + written / time, "vsCopy": GBps / copy's GBps}.
// Each timing includes allocating the output, as an op does.
// Run after `pnpm build` (it imports dist/).
import { backendInfo, manualSeed, randn, tidy } from '../dist/index.js';

const reps = Number(process.env.BENCH_REPS ?? 20);

function best(fn) {
  fn();
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return min;
}

function report(bench, n, bytes, ms, copyGBps) {
  const GBps = bytes / ms / 1e6;
  console.log(
    JSON.stringify({
      bench,
      n,
      ms: +ms.toFixed(4),
      GBps: +GBps.toFixed(2),
      vsCopy: +(GBps / (copyGBps ?? GBps)).toFixed(3),
    }),
  );
  return GBps;
}

const info = backendInfo();
console.log(JSON.stringify({ bench: 'env', isa: info.isa, threads: info.threads, node: process.version }));
manualSeed(0);
for (const n of [1 << 20, 10 * (1 << 20)]) {
  const x = randn([n]);
  const y = randn([n]);
  const copy = report(
    'copy f32',
    n,
    n * 8,
    best(() => tidy(() => void x.clone())),
    null,
  );
  report(
    'cast f32->f16',
    n,
    n * 6,
    best(() => tidy(() => void x.half())),
    copy,
  );
  const h = x.half();
  report(
    'cast f16->f32',
    n,
    n * 6,
    best(() => tidy(() => void h.float())),
    copy,
  );
  h.dispose();
  try {
    report(
      'add f32',
      n,
      n * 12,
      best(() => tidy(() => void x.add(y))),
      copy,
    );
  } catch (e) {
    console.log(JSON.stringify({ bench: 'add f32', n, error: e.message }));
  }
  x.dispose();
  y.dispose();
}
