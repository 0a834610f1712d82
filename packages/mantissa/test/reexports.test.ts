import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as autograd from '@mantissa/autograd';
import * as callbacks from '@mantissa/callbacks';
import * as data from '@mantissa/data';
import * as fp16 from '@mantissa/fp16';
import * as learner from '@mantissa/learner';
import * as nn from '@mantissa/nn';
import * as optim from '@mantissa/optim';
import * as tensor from '@mantissa/tensor';
import { expect, it, vi } from 'vitest';
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
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!.replaceAll("from 'mantissa'", "from '../src/index'");
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  const printed: unknown[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((v: unknown) => printed.push(v));
  writeFileSync(file, code);
  try {
    await import(file);
  } finally {
    rmSync(file, { force: true });
    log.mockRestore();
  }
  expect(printed).toEqual([true]);
});
