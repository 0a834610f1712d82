// One training step of the seed model (simple_cnn([3,16,16,2]), fastai's MNIST_SAMPLE network) at batch
// 512 on a device: forward, cross-entropy, backward, Adam step, the loss read back to the host (the
// Recorder reads it every batch). fp32; fp16 as `toFp16()` runs it (half model with batch norm in fp32,
// fp32 flat masters, dynamic loss scale, one fused unscale-and-check); bf16 the same without scaling.
// bench/cuda_step_torch.py is the same step in PyTorch (fp32; fp16 and bf16 with autocast, GradScaler
// for fp16). Prints one JSON line per precision: {bench, device, dtype, batch, ms (median), msBest}.
//
//   node bench/cuda-step.mjs [--device cuda] [--batch 512] [--steps 50]
import {
  batchTransformFor,
  LossScaler,
  MasterParams,
  modelToHalf,
  toFloat,
} from '../packages/fp16/dist/index.js';
import { crossEntropy, simpleCnn } from '../packages/nn/dist/index.js';
import { Adam, flattenModel, splitNoWdParams } from '../packages/optim/dist/index.js';
import { keep, manualSeed, randn, synchronize, tensor, tidy } from '../packages/tensor/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const device = opt('--device', 'cuda');
const batch = Number(opt('--batch', 512));
const steps = Number(opt('--steps', 50));
const warmup = 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function bench(precision) {
  manualSeed(0);
  const half = precision !== 'float32';
  const x = keep(randn([batch, 3, 28, 28]).to(device));
  const y = keep(
    tensor(
      Int32Array.from({ length: batch }, (_, i) => (i * 7919) % 2),
      { dtype: 'int32' },
    ).to(device),
  );
  let model = simpleCnn([3, 16, 16, 2]).to(device);
  if (half) model = modelToHalf(model, { dtype: precision });
  const masters = half
    ? new MasterParams(model, splitNoWdParams([flattenModel(model)]), { flat: true })
    : null;
  const groups = masters ? masters.paramGroups : splitNoWdParams([flattenModel(model)]);
  const opt = new Adam(
    groups.map((params) => ({ params })),
    { lr: 1e-3, betas: [0.9, 0.99] },
  );
  const scaler = new LossScaler({ enabled: precision === 'float16' });
  const toInput = half ? batchTransformFor(precision) : (b) => b;
  model.train();
  const step = () =>
    tidy(() => {
      const [xb, yb] = toInput([x, y]);
      const loss = crossEntropy(toFloat(model.forward(xb)), yb);
      if (masters) {
        scaler.scaleLoss(loss).backward();
        const { foundInf } = masters.modelGradsToMaster(scaler);
        if (!scaler.update(foundInf).skipped) {
          opt.step();
          masters.masterToModel();
        }
        masters.zeroModelGrads();
      } else {
        loss.backward();
        opt.step();
        opt.zeroGrad();
      }
      return loss.item();
    });
  const times = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    step();
    if (device !== 'cpu') synchronize(device);
    if (i >= warmup) times.push(performance.now() - t0);
  }
  x.dispose();
  y.dispose();
  return {
    bench: 'seed-step',
    impl: 'mantissa',
    device,
    dtype: precision,
    batch,
    steps,
    ms: median(times),
    msBest: Math.min(...times),
  };
}

for (const precision of ['float32', 'float16', 'bfloat16']) {
  try {
    console.log(JSON.stringify(bench(precision)));
  } catch (e) {
    console.log(
      JSON.stringify({
        bench: 'seed-step',
        impl: 'mantissa',
        device,
        dtype: precision,
        error: `${e.name}: ${e.message}`,
      }),
    );
  }
}
