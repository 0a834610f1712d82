import { crossEntropy, simpleCnn } from '@mantissa/nn';
import { manualSeed, rand, setOpHook, tidy, zeros } from '@mantissa/tensor';
import '@mantissa/autograd';

manualSeed(0);
const model = simpleCnn([3, 16, 16, 2]);
const x = rand([64, 3, 28, 28]);
const y = zeros([64], { dtype: 'int32' });
for (let i = 0; i < 20; i++)
  tidy(() => {
    crossEntropy(model.forward(x), y).backward();
    model.zeroGrad();
  });
let t = performance.now();
for (let i = 0; i < 100; i++)
  tidy(() => {
    crossEntropy(model.forward(x), y).backward();
    model.zeroGrad();
  });
console.log('fwd+bwd per batch ms', (performance.now() - t) / 100);
t = performance.now();
for (let i = 0; i < 100; i++)
  tidy(() => {
    model.forward(x);
  });
console.log('fwd per batch ms', (performance.now() - t) / 100);
