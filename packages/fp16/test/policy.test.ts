import { noGrad } from '@mantissa/autograd';
import { BatchNorm1d, crossEntropy, Linear, Module, Parameter, ReLU } from '@mantissa/nn';
import { MantissaError, ones, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  batchToBfloat16,
  batchToHalf,
  batchTransformFor,
  Fp16OptionError,
  lossFp32,
  modelToFloat,
  modelToHalf,
  toFloat,
  toHalf,
} from '../src';
import { batch, bitsOf, makeCnn } from './helpers';

const dtypes = (m: Module) =>
  Object.fromEntries(Object.entries(tidy(() => m.stateDict())).map(([k, t]) => [k, t.dtype]));

describe('modelToHalf', () => {
  it('converts every layer but batch norm, which keeps fp32 weights and running statistics', () => {
    const model = modelToHalf(makeCnn(1));
    expect(dtypes(model)).toEqual({
      '0.0.weight': 'float16',
      '0.2.weight': 'float32',
      '0.2.bias': 'float32',
      '0.2.running_mean': 'float32',
      '0.2.running_var': 'float32',
      '0.2.num_batches_tracked': 'int32',
      '1.0.weight': 'float16',
      '1.2.weight': 'float32',
      '1.2.bias': 'float32',
      '1.2.running_mean': 'float32',
      '1.2.running_var': 'float32',
      '1.2.num_batches_tracked': 'int32',
      '2.0.weight': 'float16',
      '2.0.bias': 'float16',
    });
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    model.dispose();
  });

  it('bf16 as well; and the batch-norm values never pass through half precision', () => {
    const model = makeCnn(1);
    const bn = model.getSubmodule('0.2');
    noGrad(() => bn.getParameter('weight').fill_(1.1));
    const before = bitsOf(bn.getParameter('weight'));
    modelToHalf(model, { dtype: 'bfloat16' });
    expect(model.getParameter('0.0.weight').dtype).toBe('bfloat16');
    expect(bn.getParameter('weight').dtype).toBe('float32');
    expect(bitsOf(bn.getParameter('weight'))).toEqual(before);
    model.dispose();
  });

  it('handles a container that owns parameters next to a batch-norm child', () => {
    class Head extends Module {
      scale = new Parameter(ones([4]).mul(1.1));
      lin = new Linear(4, 4);
      bn = new BatchNorm1d(4);
      act = new ReLU();
      constructor() {
        super();
        this.registerBuffer('offset', tensor([0.1, 0.2, 0.3, 0.4]));
        this.registerBuffer('cache', tensor([1, 2, 3, 4]), { persistent: false });
      }
      forward(x: Tensor): Tensor {
        return this.act.forward(
          this.bn.forward(this.lin.forward(x.mul(this.scale)).add(this.getBuffer('offset')!)),
        );
      }
    }
    const m = modelToHalf(new Head());
    expect(dtypes(m)).toMatchObject({
      scale: 'float16',
      offset: 'float16',
      'lin.weight': 'float16',
      'bn.weight': 'float32',
      'bn.running_var': 'float32',
    });
    expect('cache' in tidy(() => m.stateDict())).toBe(false);
    expect(m.getBuffer('cache')!.dtype).toBe('float16');
    const out = tidy(
      () =>
        m.forward(
          tensor(
            [
              [1, 2, 3, 4],
              [4, 3, 2, 1],
            ],
            { dtype: 'float16' },
          ),
        ).dtype,
    );
    expect(out).toBe('float16');
    m.dispose();
  });

  it("keeps batch-norm running statistics close to an fp32 run's", () => {
    const half = modelToHalf(makeCnn(2));
    const full = makeCnn(2);
    noGrad(() => {
      for (let i = 0; i < 5; i++) {
        tidy(() => {
          const [x] = batch(i, 16);
          half.forward(x.half());
          full.forward(x);
        });
      }
    });
    for (const name of ['0.2.running_mean', '0.2.running_var', '1.2.running_mean', '1.2.running_var']) {
      const [mod, buf] = [name.slice(0, 3), name.slice(4)];
      const h = half.getSubmodule(mod).getBuffer(buf)!;
      const f = full.getSubmodule(mod).getBuffer(buf)!;
      expect(h.dtype).toBe('float32');
      const hv = Array.from(h.data());
      const fv = Array.from(f.data());
      // They moved away from their initial values (0 and 1), and stayed within half's precision.
      expect(
        fv.some((v) => Math.abs(v - (buf === 'running_var' ? 1 : 0)) > 0.05),
        name,
      ).toBe(true);
      for (let i = 0; i < hv.length; i++) {
        expect(Math.abs(hv[i]! - fv[i]!), `${name}[${i}]`).toBeLessThan(2e-3 + 4e-3 * Math.abs(fv[i]!));
      }
    }
    for (const m of [half, full]) m.dispose();
  });

  it('rejects an unknown dtype and a non-module', () => {
    const model = makeCnn(1);
    for (const dtype of ['float64', 'half', 'int32']) {
      let err: unknown;
      try {
        modelToHalf(model, { dtype: dtype as never });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Fp16OptionError);
      expect(MantissaError.isInstance(err)).toBe(true);
      expect(String(err)).toContain(
        `modelToHalf: expected dtype to be 'float16' or 'bfloat16', got '${dtype}'`,
      );
    }
    expect(() => modelToHalf({} as never)).toThrow(/expected model to be a Module/);
    model.dispose();
  });
});

describe('modelToFloat, batch transforms, lossFp32', () => {
  it('modelToFloat brings every layer back to fp32', () => {
    const model = modelToFloat(modelToHalf(makeCnn(1)));
    expect(new Set(Object.values(dtypes(model)))).toEqual(new Set(['float32', 'int32']));
    model.dispose();
  });

  it('batchToHalf casts the inputs only', () => {
    tidy(() => {
      const x = tensor([[0.1, 70000]]);
      const y = tensor([1], { dtype: 'int32' });
      const [hx, hy] = batchToHalf([x, y]);
      expect(hx.dtype).toBe('float16');
      expect(Array.from(hx.data())).toEqual([0.0999755859375, Number.POSITIVE_INFINITY]);
      expect(hy).toBe(y);
      const [bx, by] = batchToBfloat16([x, y]);
      expect([bx.dtype, by]).toEqual(['bfloat16', y]);
      expect(batchTransformFor('float16')).toBe(batchToHalf);
      expect(batchTransformFor('bfloat16')).toBe(batchToBfloat16);
      // Float targets (regression) stay as they are too; integer inputs are not cast.
      const yf = tensor([0.5]);
      expect(batchToHalf([x, yf])[1]).toBe(yf);
      expect(toHalf(y)).toBe(y);
      expect(toFloat(hx).dtype).toBe('float32');
    });
  });

  it('lossFp32 computes the loss on the output cast to float32', () => {
    tidy(() => {
      const out = tensor(
        [
          [1.5, -2],
          [0.25, 3],
        ],
        { dtype: 'float16' },
      );
      const y = tensor([0, 1], { dtype: 'int32' });
      const loss = lossFp32(crossEntropy)(out, y);
      expect(loss.dtype).toBe('float32');
      expect(loss.item()).toBe(crossEntropy(out.float(), y).item());
      expect(() => lossFp32(3 as never)).toThrow(Fp16OptionError);
    });
  });
});
