// One epoch of the seed example (examples/mnist-sample: simple_cnn on MNIST 3 vs 7, fitOneCycle(1),
// bs 64, AdamW betas (0.9, 0.99), wd 1e-2), timed over several seeds, next to fastai v1's run replicated
// in PyTorch (bench/torch_epoch.py) in the same invocation when torch is importable. JSON lines on stdout.
//
//   pnpm bench:epoch                       # builds the packages first
//   node bench/epoch.mjs [--seeds 0,1,2,3,4] [--no-torch] [--python /usr/bin/python3]
//
// Wall time is training plus validation (fastai's `time` column). The first line times the first epoch
// of a fresh data bunch, PNG decoding included; the seeded runs reuse the decoded images, as fastai
// would after its first epoch. Each seed seeds the model's init and the training shuffle.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (pkg) => join(root, 'packages', pkg, 'dist', 'index.js');
for (const pkg of ['tensor', 'nn', 'callbacks', 'data', 'learner']) {
  if (!existsSync(dist(pkg))) {
    console.error(`bench/epoch.mjs: ${dist(pkg)} is missing; run \`pnpm bench:epoch\` (it builds first)`);
    process.exit(1);
  }
}
const { backendInfo, manualSeed, memory } = await import(dist('tensor'));
const { simpleCnn } = await import(dist('nn'));
const { Callback } = await import(dist('callbacks'));
const { ImageDataBunch, URLs, untarData } = await import(dist('data'));
const { accuracy, Learner } = await import(dist('learner'));

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const seeds = opt('--seeds', '0,1,2,3,4').split(',').map(Number);
const python = opt('--python', '/usr/bin/python3');
const withTorch = !args.includes('--no-torch');

/** Reads the figures the table shows: the smoothed train loss, the valid loss and the metrics. */
class Figures extends Callback {
  onEpochEnd(s) {
    this.trainLoss = s.smoothLoss;
    [this.validLoss, this.accuracy] = s.lastMetrics;
  }
}

async function epoch(data, seed) {
  manualSeed(seed); // the model's init and the shuffle (the loader draws from the global generator)
  const learn = new Learner(data, simpleCnn([3, 16, 16, 2]), { metrics: [accuracy], silent: true });
  const figures = new Figures();
  const t0 = performance.now();
  await learn.fitOneCycle(1, undefined, { callbacks: [figures] });
  const wall = (performance.now() - t0) / 1000;
  learn.opt?.dispose();
  learn.model.dispose();
  return {
    wall_s: wall,
    train_loss: figures.trainLoss,
    valid_loss: figures.validLoss,
    accuracy: figures.accuracy,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const print = (o) => console.log(JSON.stringify({ bench: 'epoch', ...o }));

function summary(impl, runs) {
  const acc = runs.map((r) => r.accuracy);
  return {
    impl,
    summary: true,
    seeds: runs.length,
    median_wall_s: median(runs.map((r) => r.wall_s)),
    best_wall_s: Math.min(...runs.map((r) => r.wall_s)),
    median_accuracy: median(acc),
    min_accuracy: Math.min(...acc),
    median_train_loss: median(runs.map((r) => r.train_loss)),
    median_valid_loss: median(runs.map((r) => r.valid_loss)),
  };
}

/** PyTorch's side: torch_epoch.py reading seeds from stdin, one JSON line back per seed; null without torch. */
function startTorch(path, threads) {
  const blas = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
  // Debian's torch links the reference BLAS and defaults to one thread: give it OpenBLAS and our threads.
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: threads,
    ...(existsSync(blas)
      ? // biome-ignore lint/suspicious/noUndeclaredEnvVars: a plain script, not a turbo task
        { LD_LIBRARY_PATH: [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }
      : {}),
  };
  const probe = spawnSync(python, ['-c', 'import torch, PIL, numpy'], { env, encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `torch, PIL or numpy not importable by ${python}` };
  const child = spawn(python, [join(root, 'bench', 'torch_epoch.py'), path, '-', threads], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.resolve(JSON.parse(l)));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`torch_epoch.py exited with ${code}`));
  });
  return {
    run: (seed) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${seed}\n`);
      }),
    close: () => child.stdin.end(),
  };
}

const path = await untarData(URLs.MNIST_SAMPLE);
const info = { isa: backendInfo().isa, threads: backendInfo().threads, node: process.version };

// The first epoch of a fresh bunch decodes every PNG on the way.
{
  const data = await ImageDataBunch.fromFolder(path);
  const r = await epoch(data, seeds[0]);
  print({ impl: 'mantissa', phase: 'first epoch, decoding included', seed: seeds[0], ...r, ...info });
}

const torch = withTorch ? startTorch(path, String(info.threads ?? 2)) : { skipped: '--no-torch' };
if (torch.skipped) print({ impl: 'torch', skipped: torch.skipped });
const data = await ImageDataBunch.fromFolder(path);
await epoch(data, 12345); // decodes the images and warms the allocator; not reported
// PyTorch's first epochs in a process are slow (lazy initialisation): two unreported ones.
if (torch.run) for (const seed of [12345, 12346]) await torch.run(seed);

// Ours and PyTorch's epoch of each seed back to back, so the load of a shared machine hits both alike.
const ours = [];
const theirs = [];
for (const seed of seeds) {
  const r = await epoch(data, seed);
  ours.push(r);
  print({ impl: 'mantissa', seed, ...r, live_tensors: memory().numTensors });
  if (torch.run) {
    const t = await torch.run(seed);
    theirs.push(t);
    print(t);
  }
}
torch.close?.();
const mine = summary('mantissa', ours);
print({
  ...mine,
  targets: {
    'median accuracy >= 0.955': mine.median_accuracy >= 0.955,
    'every seed >= 0.95': mine.min_accuracy >= 0.95,
  },
});
if (theirs.length > 0) {
  const ref = summary('torch', theirs);
  print(ref);
  print({
    ratio: true,
    'mantissa/torch median wall': mine.median_wall_s / ref.median_wall_s,
    'mantissa/torch best wall': mine.best_wall_s / ref.best_wall_s,
    'median of per-seed ratios': median(ours.map((r, i) => r.wall_s / theirs[i].wall_s)),
  });
}
