import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adaptiveAvgPool2d,
  batchNorm,
  conv2d,
  crossEntropy,
  linear,
  logSoftmax,
  maximum,
  maxPool2d,
  type Tensor,
} from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import '../src/index';
import { type FixtureTensor, fromFixture, values } from './helpers';

/**
 * Gradients of composite expressions against PyTorch (test/fixtures/gen_grads.py). The fp16 cases
 * are PyTorch emulating a GPU (each op in float32, rounded once to half). A formula made of several
 * ops rounds each step to half where a GPU runs one fused kernel (sigmoid's g * (1 - y) * y), and
 * float32 accumulation order differs, so the check allows a few half ulps (and float32 ulps).
 */

interface Case {
  name: string;
  inputs: Record<string, FixtureTensor>;
  extra: Record<string, FixtureTensor>;
  loss: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'grads.json'), 'utf8')) as {
  cases: Case[];
};

type Inputs = Record<string, Tensor>;
const EXPRESSIONS: Record<string, (p: Inputs, extra: Inputs) => Tensor> = {
  elementwise: ({ a, b, c }) => {
    const t = a!.mul(b!).tanh().add(a!.div(b!).sigmoid().mul(c!.exp()));
    const u = t.pow(2).sum(1).add(a!.abs().add(1).log().mean(1));
    return u
      .max()
      .add(maximum(a!, c!).var())
      .add(b!.rsqrt().sum())
      .add(a!.clamp(-0.5, 0.5).sum())
      .add(a!.sub(c!).relu().mean());
  },
  matmul_views: ({ a, b }) =>
    logSoftmax(a!.matmul(b!), -1)
      .mean()
      .add(a!.slice(1, 1, 3).reshape([-1]).exp().sum().mul(0.1))
      .add(
        a!
          .permute([2, 0, 1])
          .mul(b!.slice(1, 0, 1).unsqueeze(-1))
          .sum(),
      ),
  mlp: ({ x, w1, b1, w2, b2 }, { target }) =>
    crossEntropy(linear(linear(x!, w1!, b1!).relu(), w2!, b2!).float(), target!),
  cnn: ({ x, w, b, gamma, beta, lw, lb }, { target }) => {
    let h = conv2d(x!, w!, b!, { padding: 1 });
    h = batchNorm(h, { weight: gamma!, bias: beta!, training: true }).output;
    h = maxPool2d(h.relu(), 2).output;
    h = adaptiveAvgPool2d(h, 1).reshape([2, 4]);
    return crossEntropy(linear(h, lw!, lb!).float(), target!);
  },
};

function close(actual: Tensor, expected: Tensor, rtol: number, atol: number, what: string): void {
  expect(actual.dtype, what).toBe(expected.dtype);
  expect(actual.shape, what).toEqual(expected.shape);
  const a = values(actual);
  const e = values(expected);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]!) - rtol * Math.abs(e[i]!)), -Infinity);
  expect(worst, `${what}: max |actual - expected| - rtol |expected|`).toBeLessThanOrEqual(atol);
}

describe('gradients of composite expressions match PyTorch', () => {
  for (const c of fixture.cases) {
    const half = c.name.endsWith('fp16');
    it(`${c.name}${half ? ' (GPU-style half arithmetic)' : ' (float32)'}`, () => {
      const inputs: Inputs = {};
      for (const [k, f] of Object.entries(c.inputs)) inputs[k] = fromFixture(f).requiresGrad_();
      const extra: Inputs = {};
      for (const [k, f] of Object.entries(c.extra)) extra[k] = fromFixture(f);
      const loss = EXPRESSIONS[c.name.replace(/_fp(16|32)$/, '')]!(inputs, extra);
      loss.backward();
      const [rtol, atol] = half ? [4e-3, 1e-4] : [1e-5, 1e-6];
      close(loss, fromFixture(c.loss), rtol, atol, `${c.name} loss`);
      for (const [k, f] of Object.entries(c.grads))
        close(inputs[k]!.grad!, fromFixture(f), rtol, atol, `${c.name} grad ${k}`);
    });
  }
});
