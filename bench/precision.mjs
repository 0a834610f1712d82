// The seed example (simple_cnn on MNIST 3 vs 7, fitOneCycle(1), bs 64) in fp32, fp16 (`toFp16()`) and
// bf16 (`toFp16({ dtype: 'bfloat16' })`) on the same seeds: epoch wall time, final accuracy, peak
// native tensor bytes, the bytes of the model's weights and of one batch's activations, and peak RSS.
// Each precision runs in its own process (peak RSS is per process); the rounds alternate precisions so
// the load of a shared machine hits each alike. JSON lines, then one summary line per precision and
// the ratios to fp32.
//
//   pnpm bench:precision                   # builds the packages first
//   node bench/precision.mjs [--seeds 0,1,2]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (pkg) => join(root, 'packages', pkg, 'dist', 'index.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const PRECISIONS = ['float32', 'float16', 'bfloat16'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One child: a warm-up epoch (decoding, allocator), then the measured epoch of `seed` in `precision`. */
async function child(precision, seed) {
  const { manualSeed, memory } = await import(dist('tensor'));
  const { simpleCnn } = await import(dist('nn'));
  const { Callback } = await import(dist('callbacks'));
  const { ImageDataBunch, URLs, untarData } = await import(dist('data'));
  const { accuracy, Learner } = await import(dist('learner'));

  /** Peak native bytes at each batch's end (activations and gradients still alive) and peak RSS. */
  class Peaks extends Callback {
    tensorBytes = 0;
    rss = 0;
    onLossBegin() {
      // The forward pass is done: weights, the batch and every saved activation are alive here.
      this.tensorBytes = Math.max(this.tensorBytes, memory().numBytes);
      this.rss = Math.max(this.rss, process.memoryUsage().rss);
    }
    onEpochEnd(s) {
      [this.validLoss, this.accuracy] = s.lastMetrics;
      this.trainLoss = s.smoothLoss;
    }
  }
  const data = await ImageDataBunch.fromFolder(await untarData(URLs.MNIST_SAMPLE));
  const make = (s) => {
    manualSeed(s);
    const learn = new Learner(data, simpleCnn([3, 16, 16, 2]), { metrics: [accuracy], silent: true });
    return precision === 'float32' ? learn : learn.toFp16({ dtype: precision });
  };
  const warm = make(seed + 1000);
  await warm.fitOneCycle(1);
  warm.toFp32();
  warm.opt?.dispose();
  warm.model.dispose();

  const learn = make(seed);
  const idle = memory().numBytes;
  const weights = learn.model.parameters().reduce((a, p) => a + p.numel * (p.dtype === 'float32' ? 4 : 2), 0);
  const peaks = new Peaks();
  const t0 = performance.now();
  await learn.fitOneCycle(1, undefined, { callbacks: [peaks] });
  const wall = (performance.now() - t0) / 1000;
  return {
    precision,
    seed,
    wall_s: wall,
    accuracy: peaks.accuracy,
    train_loss: peaks.trainLoss,
    valid_loss: peaks.validLoss,
    model_weight_bytes: weights,
    // Peak native bytes during training minus what was allocated before the fit (data batches of
    // the loader are created during the fit, so they count: a half batch is half the bytes).
    peak_training_tensor_bytes: peaks.tensorBytes - idle,
    peak_rss_bytes: peaks.rss,
  };
}

if (args[0] === '--child') {
  console.log(JSON.stringify(await child(args[1], Number(args[2]))));
  process.exit(0);
}

for (const pkg of ['tensor', 'nn', 'callbacks', 'data', 'learner', 'fp16']) {
  if (!existsSync(dist(pkg))) {
    console.error(
      `bench/precision.mjs: ${dist(pkg)} is missing; run \`pnpm bench:precision\` (it builds first)`,
    );
    process.exit(1);
  }
}
const seeds = opt('--seeds', '0,1,2').split(',').map(Number);
const runs = [];
for (const seed of seeds) {
  for (const precision of PRECISIONS) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', precision, String(seed)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    if (r.status !== 0) throw new Error(`${precision} seed ${seed} failed:\n${r.stderr}`);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1));
    runs.push(line);
    console.log(JSON.stringify({ bench: 'precision', ...line }));
  }
}
const summary = Object.fromEntries(
  PRECISIONS.map((p) => {
    const mine = runs.filter((r) => r.precision === p);
    return [
      p,
      {
        median_wall_s: median(mine.map((r) => r.wall_s)),
        median_accuracy: median(mine.map((r) => r.accuracy)),
        min_accuracy: Math.min(...mine.map((r) => r.accuracy)),
        model_weight_bytes: mine[0].model_weight_bytes,
        median_peak_training_tensor_bytes: median(mine.map((r) => r.peak_training_tensor_bytes)),
        median_peak_rss_bytes: median(mine.map((r) => r.peak_rss_bytes)),
      },
    ];
  }),
);
for (const [p, s] of Object.entries(summary))
  console.log(JSON.stringify({ bench: 'precision', summary: true, precision: p, ...s }));
const f32 = summary.float32;
const ratio = (p, k) => summary[p][k] / f32[k];
console.log(
  JSON.stringify({
    bench: 'precision',
    ratios_to_fp32: true,
    fp16_wall: ratio('float16', 'median_wall_s'),
    bf16_wall: ratio('bfloat16', 'median_wall_s'),
    fp16_peak_training_tensor_bytes: ratio('float16', 'median_peak_training_tensor_bytes'),
    bf16_peak_training_tensor_bytes: ratio('bfloat16', 'median_peak_training_tensor_bytes'),
    fp16_peak_rss: ratio('float16', 'median_peak_rss_bytes'),
    targets: {
      'bf16 epoch faster than fp32': summary.bfloat16.median_wall_s < f32.median_wall_s,
      'fp16 epoch within 1.15x of fp32': summary.float16.median_wall_s <= 1.15 * f32.median_wall_s,
      'fp16 training tensor memory about halved (<= 0.6x)':
        ratio('float16', 'median_peak_training_tensor_bytes') <= 0.6,
    },
  }),
);
