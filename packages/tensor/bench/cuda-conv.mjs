// A ResNet basic block's forward and backward on 'cuda' (batch 32, 64 channels, 56x56): conv3x3 ->
// batch norm -> relu -> conv3x3 -> batch norm -> + x -> relu, then the gradients of x, both weights
// and both batch norms' parameters through the explicit backward ops the autograd formulas use
// (conv2dBackwardInput/Weight, batchNormBackward, reluBackward). float16/bfloat16 keep the batch-norm
// parameters and statistics in float32, as the fp16 policy does. Prints one JSON line per dtype:
// {"bench":"resnet-basic-block","impl":"mantissa","dtype":...,"ms":mean of the timed steps}.
// Compare with bench/cuda_conv_torch.py. Run after `pnpm build` (imports dist/) on a machine with a GPU.
// BENCH_DTYPES, BENCH_REPS and BENCH_BATCH change the run; BENCH_DEVICE=cpu runs the same step on
// the cpu (a check of the script, not a benchmark).
import {
  backendInfo,
  batchNorm,
  batchNormBackward,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  manualSeed,
  ones,
  randn,
  reluBackward,
  synchronize,
  tidy,
  zeros,
} from '../dist/index.js';

const dtypes = (process.env.BENCH_DTYPES ?? 'float32,float16,bfloat16').split(',');
const reps = Number(process.env.BENCH_REPS ?? 20);
const batch = Number(process.env.BENCH_BATCH ?? 32);
const C = 64;
const SIZE = 56;
const device = process.env.BENCH_DEVICE ?? 'cuda';
const sync = () => device !== 'cpu' && synchronize(device);
const opts = { padding: 1 };

if (device !== 'cpu' && backendInfo().cuda.devices === 0) {
  console.log(JSON.stringify({ bench: 'resnet-basic-block', impl: 'mantissa', skipped: 'no CUDA device' }));
  process.exit(0);
}

manualSeed(0);
for (const dtype of dtypes) {
  const f32 = { dtype: 'float32', device };
  const x = randn([batch, C, SIZE, SIZE]).to({ dtype, device });
  const w1 = randn([C, C, 3, 3]).mul(0.05).to({ dtype, device });
  const w2 = randn([C, C, 3, 3]).mul(0.05).to({ dtype, device });
  const bn = () => ({
    weight: ones([C], f32),
    bias: zeros([C], f32),
    runningMean: zeros([C], f32),
    runningVar: ones([C], f32),
  });
  const bn1 = bn();
  const bn2 = bn();
  const gOut = randn([batch, C, SIZE, SIZE]).to({ dtype, device });
  const step = () =>
    tidy(() => {
      const c1 = conv2d(x, w1, null, opts);
      const n1 = batchNorm(c1, { ...bn1, training: true });
      const r1 = n1.output.relu();
      const c2 = conv2d(r1, w2, null, opts);
      const n2 = batchNorm(c2, { ...bn2, training: true });
      const out = n2.output.add(x).relu();
      // Backward: the residual sum passes its gradient to both branches.
      const gSum = reluBackward(gOut, out);
      const g2 = batchNormBackward(gSum, c2, n2.saveMean, n2.saveInvstd, {
        weight: bn2.weight,
        training: true,
      });
      const gR1 = conv2dBackwardInput(g2.gradInput, w2, r1.shape, opts);
      conv2dBackwardWeight(g2.gradInput, r1, w2.shape, opts);
      const gC1 = reluBackward(gR1, r1);
      const g1 = batchNormBackward(gC1, c1, n1.saveMean, n1.saveInvstd, {
        weight: bn1.weight,
        training: true,
      });
      conv2dBackwardWeight(g1.gradInput, x, w1.shape, opts);
      conv2dBackwardInput(g1.gradInput, w1, x.shape, opts).add(gSum);
    });
  for (let i = 0; i < 3; i++) step();
  sync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) step();
  sync();
  const ms = (performance.now() - t0) / reps;
  console.log(JSON.stringify({ bench: 'resnet-basic-block', impl: 'mantissa', dtype, batch, ms }));
  for (const t of [x, w1, w2, gOut, ...Object.values(bn1), ...Object.values(bn2)]) t.dispose();
}
