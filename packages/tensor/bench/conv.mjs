// conv2d timings as JSON lines for the seed model's layers (simpleCnn([3, 16, 16, 2]) at batch 64: 3x3,
// stride 2, padding 1): {"bench":"conv2d","impl":"mantissa","dtype":...,"layer":"3->16 28x28",
// "inputGrad":bool,"forwardMs":best,"trainMs":best}. trainMs is one training step's conv2d work: the
// forward, then the weight and bias gradients, plus the input gradient only where training needs it
// (inputGrad: not for the first layer, whose input is the data), as bench/torch_conv_ref.py does.
// Best of N runs, each including allocating outputs as the ops do. Run after `pnpm build` (imports
// dist/). BENCH_DTYPES, BENCH_REPS and BENCH_BATCH narrow or change the run; compare with
// bench/torch_conv_ref.py.
import {
  backendInfo,
  conv2d,
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  manualSeed,
  randn,
  tidy,
} from '../dist/index.js';

const dtypes = (process.env.BENCH_DTYPES ?? 'float32,float16,bfloat16').split(',');
const reps = Number(process.env.BENCH_REPS ?? 50);
const batch = Number(process.env.BENCH_BATCH ?? 64);
const LAYERS = [
  { cin: 3, cout: 16, size: 28, inputGrad: false },
  { cin: 16, cout: 16, size: 14, inputGrad: true },
  { cin: 16, cout: 2, size: 7, inputGrad: true },
];
const options = { stride: 2, padding: 1 };
const info = backendInfo();
console.log(
  JSON.stringify({
    bench: 'env',
    impl: 'mantissa',
    isa: info.isa,
    threads: info.threads,
    node: process.version,
  }),
);

function best(fn) {
  fn();
  let min = Infinity;
  const start = performance.now();
  for (let i = 0; i < reps && (i < 5 || performance.now() - start < 3000); i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

manualSeed(0);
for (const dtype of dtypes) {
  for (const { cin, cout, size, inputGrad } of LAYERS) {
    tidy(() => {
      const x = randn([batch, cin, size, size]).to(dtype);
      const w = randn([cout, cin, 3, 3]).to(dtype);
      const b = randn([cout]).to(dtype);
      const gy = tidy(() => conv2d(x, w, b, options).mul(0).add(1)).to(dtype);
      const forwardMs = best(() => tidy(() => void conv2d(x, w, b, options)));
      const trainMs = best(() =>
        tidy(() => {
          conv2d(x, w, b, options);
          if (inputGrad) conv2dBackwardInput(gy, w, x.shape, options);
          conv2dBackwardWeight(gy, x, w.shape, options);
          conv2dBackwardBias(gy);
        }),
      );
      console.log(
        JSON.stringify({
          bench: 'conv2d',
          impl: 'mantissa',
          dtype,
          layer: `${cin}->${cout} ${size}x${size}`,
          batch,
          inputGrad,
          forwardMs: +forwardMs.toFixed(4),
          trainMs: +trainMs.toFixed(4),
        }),
      );
    });
  }
}
