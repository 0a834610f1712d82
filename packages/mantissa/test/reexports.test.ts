import * as autograd from '@mantissa/autograd';
import * as callbacks from '@mantissa/callbacks';
import * as data from '@mantissa/data';
import * as fp16 from '@mantissa/fp16';
import * as learner from '@mantissa/learner';
import * as nn from '@mantissa/nn';
import * as optim from '@mantissa/optim';
import * as tensor from '@mantissa/tensor';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../test-utils/readme-example';
import * as mantissa from '../src/index';

const packages = { tensor, autograd, nn, optim, callbacks, fp16, data, learner };

it('re-exports every value of every package, the higher-level one where names collide', () => {
  const all = mantissa as Record<string, unknown>;
  for (const [name, pkg] of Object.entries(packages)) {
    for (const [key, value] of Object.entries(pkg)) {
      if (key === 'crossEntropy' && name === 'tensor') continue; // nn's loss wins
      expect(all[key], `${name}.${key}`).toBe(value);
    }
  }
  expect(mantissa.crossEntropy).toBe(nn.crossEntropy);
});

it('the README example runs', async () => {
  const { logs } = await runReadmeExample(__dirname, 'mantissa');
  expect(logs.map((args) => args[0])).toEqual([true]);
});
