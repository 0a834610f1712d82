// The loss scaler's fused unscale-and-check (@mantissa/tensor's unscaleAndCheck, as LossScaler and
// MasterParams call it) over 10 million fp16 gradients into fp32 master gradients, in GB/s of memory
// traffic (2 bytes read + 4 written per element), next to plain memory copies in the same process, and
// PyTorch's way (fastai's: fp16 → fp32 copy, then isfinite().all() and mul_) when torch is importable.
// One JSON line per measurement, then a summary line.
//
//   pnpm --filter @mantissa/tensor build && node bench/unscale.mjs [--n 10000000] [--reps 15] [--no-torch]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'packages', 'tensor', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error(`bench/unscale.mjs: ${dist} is missing; run \`pnpm --filter @mantissa/tensor build\``);
  process.exit(1);
}
const { backendInfo, manualSeed, randn, unscaleAndCheck, zeros } = await import(dist);

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const n = Number(opt('--n', 10_000_000));
const reps = Number(opt('--reps', 15));
const python = opt('--python', '/usr/bin/python3');
const info = { n, reps, isa: backendInfo().isa, threads: backendInfo().threads, node: process.version };
const print = (o) => console.log(JSON.stringify({ bench: 'unscale', ...o }));

/**
 * Median and best seconds of fn over `reps` runs, after two warm-up runs. On a machine shared with
 * other work the best run is the steadier figure; the ratios use it.
 */
function time(fn) {
  fn();
  fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[ts.length >> 1], best: ts[0] };
}

function report(impl, what, t, bytes, extra = {}) {
  const r = {
    impl,
    what,
    median_s: t.median,
    best_s: t.best,
    gb_per_s: bytes / t.best / 1e9,
    median_gb_per_s: bytes / t.median / 1e9,
    ...extra,
    ...info,
  };
  print(r);
  return r;
}

manualSeed(0);
const g32 = randn([n]).mul(1024);
const g16 = g32.half();
const master = zeros([n]);
const copy32 = zeros([n]);
const invScale = 1 / 1024;

// One pair: the whole buffer (a flat master group).
const fused = report(
  'mantissa',
  'unscaleAndCheck fp16 -> fp32, one flat buffer',
  time(() => {
    const [bad] = unscaleAndCheck([g16], [master], invScale);
    if (bad) throw new Error('unexpected overflow');
  }),
  n * 6,
);

// The same elements as 100 tensors (per-parameter masters): 31 pairs per kernel call.
const parts = 100;
const size = Math.floor(n / parts);
const srcs = Array.from({ length: parts }, (_, i) => g16.narrow(0, i * size, size));
const dsts = Array.from({ length: parts }, (_, i) => master.narrow(0, i * size, size));
report(
  'mantissa',
  `unscaleAndCheck fp16 -> fp32, ${parts} tensors`,
  time(() => {
    if (unscaleAndCheck(srcs, dsts, invScale).some(Boolean)) throw new Error('unexpected overflow');
  }),
  parts * size * 6,
);

// The floors: the cast alone (same traffic), a float32 copy through the same kernels, and a memcpy.
const cast = report(
  'mantissa',
  'copy_ fp16 -> fp32 (cast, same traffic)',
  time(() => master.copy_(g16)),
  n * 6,
);
const copy = report(
  'mantissa',
  'copy_ fp32 -> fp32',
  time(() => copy32.copy_(g32)),
  n * 8,
);
const a = new Float32Array(n).fill(1);
const b = new Float32Array(n);
const memcpy = report(
  'node',
  'Float32Array.set (memcpy, one thread)',
  time(() => b.set(a)),
  n * 8,
);

// "A plain memory copy": the faster of the two copies (GB/s of traffic), so the ratio is the conservative one.
const plain = Math.max(copy.gb_per_s, memcpy.gb_per_s);
const summary = {
  summary: true,
  fused_gb_per_s: fused.gb_per_s,
  'fused / plain copy (GB/s)': fused.gb_per_s / plain,
  'fused / copy_ fp32 (GB/s)': fused.gb_per_s / copy.gb_per_s,
  'fused / memcpy (GB/s)': fused.gb_per_s / memcpy.gb_per_s,
  'fused / cast copy (GB/s)': fused.gb_per_s / cast.gb_per_s,
  target: 'fused >= 0.7x a plain memory copy (GB/s)',
  target_met: fused.gb_per_s >= 0.7 * plain,
};

if (!args.includes('--no-torch')) {
  const script = `
import json, sys, time, torch
n, reps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
g16 = (torch.randn(n) * 1024).half()
g32 = g16.float()
master = torch.empty(n)
copy32 = torch.empty(n)
inv = 1 / 1024
def t(fn):
    fn(); fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    ts.sort()
    return [ts[len(ts) // 2], ts[0]]
def fastai_way():
    master.copy_(g16)
    if not bool(torch.isfinite(master).all()): raise SystemExit('overflow')
    master.mul_(inv)
out = {
  'isfinite().all() + mul_ (fp32)': (t(lambda: (bool(torch.isfinite(g32).all()), copy32.copy_(g32).mul_(inv))), n * 8 * 2),
  'copy_ fp16 -> fp32 + isfinite().all() + mul_': (t(fastai_way), n * 6),
  'copy_ fp32 -> fp32': (t(lambda: copy32.copy_(g32)), n * 8),
  'copy_ fp16 -> fp32 (cast)': (t(lambda: master.copy_(g16)), n * 6),
}
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(),
                  'results': {k: [s[0], s[1], b] for k, (s, b) in out.items()}}))
`;
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    print({ impl: 'torch', skipped: `torch not importable by ${python}` });
  } else {
    const res = spawnSync(python, ['-c', script, String(n), String(reps), String(info.threads ?? 2)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (res.status !== 0) {
      print({ impl: 'torch', error: res.stderr.trim().split('\n').at(-1) });
    } else {
      const t = JSON.parse(res.stdout.trim().split('\n').at(-1));
      const rows = {};
      for (const [what, [median, best, bytes]] of Object.entries(t.results)) {
        rows[what] = best;
        print({
          impl: 'torch',
          what,
          median_s: median,
          best_s: best,
          gb_per_s: bytes / best / 1e9,
          median_gb_per_s: bytes / median / 1e9,
          torch: t.torch,
          torch_threads: t.threads,
          n,
        });
      }
      const copyS = rows['copy_ fp32 -> fp32'];
      summary['torch fastai-way / torch fp32 copy (time)'] =
        rows['copy_ fp16 -> fp32 + isfinite().all() + mul_'] / copyS;
      summary['torch isfinite+mul_ / torch fp32 copy (time)'] =
        rows['isfinite().all() + mul_ (fp32)'] / copyS;
      summary['mantissa fused / torch fastai-way (time)'] =
        fused.best_s / rows['copy_ fp16 -> fp32 + isfinite().all() + mul_'];
    }
  }
}
print({ ...summary, ...info });
for (const t of [g32, g16, master, copy32, ...srcs, ...dsts]) t.dispose();
