import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  adamStep_,
  DTypeError,
  KernelError,
  runKernel,
  ShapeError,
  sgdStep_,
  tensor,
  zeros,
} from '../src/index';
import {
  expectMatches,
  type FixtureTensor,
  fromFixture,
  loadFixture,
  type Tolerance,
} from './helpers/fixtures';

interface StepSnapshot {
  param: FixtureTensor;
  momentumBuffer?: FixtureTensor;
  expAvg?: FixtureTensor;
  expAvgSq?: FixtureTensor;
}
interface OptimCase {
  kind: 'sgd' | 'adam' | 'adamw';
  options: Record<string, number | boolean | number[]>;
  trueWd: number;
  lr: number;
  param: FixtureTensor;
  grads: FixtureTensor[];
  steps: StepSnapshot[];
}

const fixture = loadFixture<OptimCase>('optim_step');

function tolerance(dtype: string): Tolerance {
  // float32: PyTorch's separate ops and the fused pass may differ by a rounding or an FMA per step.
  if (dtype === 'float32') return { atol: 1e-6, rtol: 1e-5 };
  if (dtype === 'float64') return { atol: 1e-14, rtol: 1e-12 };
  // Half: 45 of 48 cases are bit-exact; a float32 intermediate one rounding apart (PyTorch's add with
  // alpha vs our multiply-add) can move a stored half by 1 ulp.
  return { ulps: 1 };
}

function label(c: OptimCase): string {
  return `${c.kind} ${c.param.dtype} ${JSON.stringify(c.options)} trueWd=${c.trueWd}`;
}

describe('fused optimizer steps equal torch.optim step by step', () => {
  it.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const param = fromFixture(c.param);
    const o = c.options;
    const wd = (o.weight_decay as number | undefined) ?? 0;
    const expAvg = zeros(param.shape, { dtype: param.dtype });
    const expAvgSq = zeros(param.shape, { dtype: param.dtype });
    const buf = zeros(param.shape, { dtype: param.dtype });
    c.grads.forEach((gf, i) => {
      const grad = fromFixture(gf);
      if (c.kind === 'sgd') {
        sgdStep_(param, grad, buf, {
          lr: c.lr,
          momentum: (o.momentum as number | undefined) ?? 0,
          dampening: (o.dampening as number | undefined) ?? 0,
          nesterov: (o.nesterov as boolean | undefined) ?? false,
          maximize: (o.maximize as boolean | undefined) ?? false,
          weightDecay: c.trueWd || wd,
          decoupledWeightDecay: c.trueWd > 0,
          bufferIsNew: i === 0,
        });
      } else {
        const [beta1, beta2] = (o.betas as number[] | undefined) ?? [0.9, 0.999];
        const decoupled = c.kind === 'adamw' || c.trueWd > 0;
        adamStep_(param, grad, expAvg, expAvgSq, {
          lr: c.lr,
          beta1,
          beta2,
          eps: (o.eps as number | undefined) ?? 1e-8,
          weightDecay: c.trueWd || wd,
          decoupledWeightDecay: decoupled,
          maximize: (o.maximize as boolean | undefined) ?? false,
          step: i + 1,
        });
      }
      const want = c.steps[i]!;
      const tol = tolerance(c.param.dtype);
      expectMatches(param, want.param, tol, `step ${i + 1} param`);
      if (want.momentumBuffer) expectMatches(buf, want.momentumBuffer, tol, `step ${i + 1} momentum buffer`);
      if (want.expAvg) expectMatches(expAvg, want.expAvg, tol, `step ${i + 1} exp_avg`);
      if (want.expAvgSq) expectMatches(expAvgSq, want.expAvgSq, tol, `step ${i + 1} exp_avg_sq`);
      grad.dispose();
    });
    for (const t of [param, expAvg, expAvgSq, buf]) t.dispose();
  });
});

describe('fused optimizer steps: layouts and state dtypes', () => {
  it('updates a non-contiguous parameter view in place and leaves the rest of the storage alone', () => {
    const base = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const col = base.slice(1, 1, 2); // [[2], [5]], stride 3
    sgdStep_(col, tensor([[1], [2]]), null, { lr: 0.5 });
    expect(base.toArray()).toEqual([
      [1, 1.5, 3],
      [4, 4, 6],
    ]);
  });

  it('keeps float32 moments for a float16 parameter', () => {
    const p = tensor([1, -2, 3], { dtype: 'float16' });
    const g = tensor([0.5, 0.25, -1], { dtype: 'float16' });
    const m = zeros([3]);
    const v = zeros([3]);
    adamStep_(p, g, m, v, { lr: 0.1, step: 1 });
    expect(Array.from(m.data() as Float32Array)).toEqual([
      0.05000000074505806, 0.02500000037252903, -0.10000000149011612,
    ]);
    // The first Adam step moves each weight by lr * sign(g) (m̂ / sqrt(v̂) = ±1, up to eps).
    expect(p.toArray()).toEqual([0.89990234375, -2.099609375, 3.099609375]);
  });
});

describe('fused optimizer steps: bad input', () => {
  const p = () => zeros([3]);
  it('names the op and the argument', () => {
    expect(() => sgdStep_(p(), zeros([4]), null, { lr: 0.1 })).toThrow(ShapeError);
    expect(() => sgdStep_(p(), zeros([3], { dtype: 'float16' }), null, { lr: 0.1 })).toThrow(DTypeError);
    expect(() => sgdStep_(p(), zeros([3]), null, { lr: 0.1, momentum: 0.9 })).toThrow(/momentumBuffer/);
    expect(() => sgdStep_(p(), zeros([3]), null, { lr: -1 })).toThrow(ArgumentError);
    expect(() => sgdStep_(p(), zeros([3]), null, { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => adamStep_(p(), zeros([3]), zeros([3]), zeros([3]), { lr: 0.1, step: 0 })).toThrow(/step/);
    expect(() => adamStep_(p(), zeros([3]), zeros([3]), zeros([3]), { lr: 0.1, step: 1, beta1: 1 })).toThrow(
      /beta1/,
    );
    expect(() =>
      adamStep_(p(), zeros([3]), zeros([3], { dtype: 'float64' }), zeros([3]), { lr: 0.1, step: 1 }),
    ).toThrow(DTypeError);
    expect(() =>
      sgdStep_(zeros([3], { dtype: 'int32' }), zeros([3], { dtype: 'int32' }), null, { lr: 1 }),
    ).toThrow(DTypeError);
    expect(() => sgdStep_(zeros([1]).expand([3]), zeros([3]), null, { lr: 1 })).toThrow(/share memory/);
  });
  it('is refused by the kernel too when called without the op layer', () => {
    const t = () => zeros([3]);
    expect(() => runKernel('adam_step', [t(), t(), t(), t()], [0.1, 0.9, 0.999, 1e-8, 0, 0, 0, 0])).toThrow(
      /adam_step: step/,
    );
    expect(() => runKernel('sgd_step', [t(), t()], [0.1, 0.9, 0, 0, 0, 0, 0, 0])).toThrow(KernelError);
  });
});
