import {
  batchNorm,
  linear,
  MantissaError,
  memory,
  ones,
  recordOp,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  backward,
  enableGrad,
  GradcheckError,
  GradNode,
  getGradient,
  gradcheck,
  isGradEnabled,
  NON_DIFFERENTIABLE,
  noGrad,
  registerGradient,
  zeroGrad,
} from '../src/index';
import { leaf, values } from './helpers';

const f32 = (v: number[]) => tensor(v).requiresGrad_();

describe('requiresGrad, leaves and nodes', () => {
  it('only float leaves may require grad; a non-leaf cannot change it', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => {
      i.requiresGrad = true;
    }).toThrow(AutogradError);
    expect(() => i.requiresGrad_()).toThrow(/float.*int32/);
    const y = f32([1]).mul(2);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(/leaf/);
    y.requiresGrad = true; // unchanged: allowed, as in PyTorch
    expect(y.isLeaf).toBe(false);
  });

  it('names the op of each node and links its inputs', () => {
    const x = f32([1, 2]);
    const y = x.exp().mul(x).sum();
    expect(y.gradFn).toBeInstanceOf(GradNode);
    expect(y.gradFn!.op).toBe('sum');
    const mul = y.gradFn!.inputs[0]!;
    expect(mul.op).toBe('mul');
    expect(mul.inputs.map((n) => n?.op ?? null)).toEqual(['exp', null]);
    expect(String(mul)).toBe('GradNode(mul)');
    expect(x.isLeaf).toBe(true);
    expect(x.gradFn).toBeNull();
  });

  it('comparisons, argmax and predicates are listed as non-differentiable and give no grad', () => {
    const x = f32([1, -2]);
    for (const op of ['gt', 'eq', 'argmax', 'isfinite', 'isnan'])
      expect(NON_DIFFERENTIABLE.has(op)).toBe(true);
    expect(x.gt(0).requiresGrad).toBe(false);
    expect(x.argmax().requiresGrad).toBe(false);
    expect(x.isnan().requiresGrad).toBe(false);
  });

  it('an op with neither a formula nor a listing throws when backward reaches it, naming it', () => {
    const x = f32([1, 2]);
    const out = noGrad(() => x.mul(1));
    recordOp('mystery_op', [x], [out]);
    expect(out.requiresGrad).toBe(true);
    expect(() => out.sum().backward()).toThrow(AutogradError);
    expect(() => out.sum().backward()).toThrow(/mystery_op/);
  });

  it('noGrad and enableGrad nest', () => {
    expect(isGradEnabled()).toBe(true);
    const x = f32([1]);
    noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      expect(enableGrad(() => x.mul(2)).requiresGrad).toBe(true);
      expect(x.mul(2).requiresGrad).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
  });

  it('detach shares memory and leaves the graph', () => {
    const x = f32([1, 2]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    noGrad(() => d.fill_(5));
    expect(values(x)).toEqual([5, 5]);
  });
});

describe('backward errors', () => {
  it('a non-scalar output needs a gradient (expected shape [] or 1 element, actual shape)', () => {
    const y = f32([1, 2]).mul(2);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/shape \[\] \(1 element\), got shape \[2\]/);
  });

  it('the gradient must have the output shape and dtype', () => {
    const y = f32([1, 2]).mul(2);
    expect(() => y.backward(ones([3]))).toThrow(/shape \[2\], got shape \[3\]/);
    expect(() => y.backward(ones([2], { dtype: 'float64' }))).toThrow(/dtype float32, got dtype float64/);
  });

  it('a tensor that does not require grad cannot backward', () => {
    expect(() => tensor([1]).backward()).toThrow(/require grad/);
  });

  it('retainGraph allows a second backward, which accumulates', () => {
    const x = f32([1, 2]);
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(values(x.grad!)).toEqual([4, 8]);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  it('a saved tensor disposed before backward is reported, not read', () => {
    const x = f32([1, 2]);
    const e = x.exp();
    const y = e.sum();
    e.dispose();
    expect(() => y.backward()).toThrow(/disposed/);
  });

  it('a root may be a leaf, or an ancestor of another root', () => {
    const s = tensor(2).requiresGrad_();
    s.backward();
    expect(s.grad!.item()).toBe(1);
    const x = f32([1, 2]);
    const y = x.mul(3);
    backward([y, y.mul(2)], [ones([2]), ones([2])]);
    expect(values(x.grad!)).toEqual([9, 9]);
  });

  it('every autograd error is a MantissaError', () => {
    expect(new AutogradError('x', 'y')).toBeInstanceOf(MantissaError);
    expect(MantissaError.isInstance(new GradcheckError(0, 1, [1], 2, 3, 0.1))).toBe(true);
  });
});

describe('hooks and retainGrad', () => {
  it('a leaf hook sees the summed gradient once and may replace it', () => {
    const x = f32([1, 2]);
    const seen: number[][] = [];
    const remove = x.registerHook((g) => {
      seen.push(values(g));
      return g.mul(10);
    });
    x.mul(2).add(x).sum().backward();
    expect(seen).toEqual([[3, 3]]);
    expect(values(x.grad!)).toEqual([30, 30]);
    remove();
    x.grad = null;
    x.mul(2).sum().backward();
    expect(values(x.grad!)).toEqual([2, 2]);
  });

  it('a non-leaf hook changes what flows further back', () => {
    const x = f32([1, 2]);
    const y = x.mul(3);
    y.registerHook((g) => g.mul(0));
    y.add(x).sum().backward();
    expect(values(x.grad!)).toEqual([1, 1]);
  });

  it('a hook returning another shape or dtype throws', () => {
    const x = f32([1, 2]);
    x.registerHook(() => zeros([3]));
    expect(() => x.mul(2).sum().backward()).toThrow(/shape \[2\], got shape \[3\]/);
  });

  it('retainGrad keeps (and accumulates) a non-leaf gradient', () => {
    const x = f32([1, 2]);
    const y = x.mul(x);
    y.retainGrad();
    y.sum().backward(undefined, { retainGraph: true });
    expect(values(y.grad!)).toEqual([1, 1]);
    y.sum().backward();
    expect(values(y.grad!)).toEqual([2, 2]);
    expect(values(x.grad!)).toEqual([4, 8]);
  });
});

describe('in-place ops', () => {
  it('on a leaf that requires grad: throws in grad mode, allowed in noGrad', () => {
    const w = f32([1, 2]);
    for (const op of [
      (t: Tensor) => t.add_(1),
      (t: Tensor) => t.mul_(2),
      (t: Tensor) => t.copy_(ones([2])),
      (t: Tensor) => t.fill_(0),
      (t: Tensor) => t.clamp_(0, 1),
      (t: Tensor) => t.zero_(),
    ]) {
      expect(() => op(w)).toThrow(AutogradError);
    }
    noGrad(() => w.fill_(3).sub_(ones([2])));
    expect(values(w)).toEqual([2, 2]);
  });

  it('on a non-leaf: the graph follows the write', () => {
    const x = f32([1, 2]);
    const y = x.mul(2);
    y.add_(1)
      .mul_(3)
      .sub_(ones([2]))
      .div_(2);
    y.sum().backward();
    expect(y.gradFn!.op).toBe('div_');
    expect(values(x.grad!)).toEqual([3, 3]);
  });

  it('div_ and sub_ pass gradcheck through their other operand', () => {
    expect(
      gradcheck(
        (a, b) => a.mul(1).div_(b),
        [leaf([3]), tensor([0.5, 2, -1.5], { dtype: 'float64' }).requiresGrad_()],
      ),
    ).toBe(true);
    expect(gradcheck((a, b) => a.mul(1).sub_(b).add_(b.mul(b)), [leaf([2, 3]), leaf([3])])).toBe(true);
    expect(
      gradcheck(
        (a) => a.mul(1).clamp_(-0.5, 0.5),
        [tensor([-1, -0.2, 0.3, 0.9], { dtype: 'float64' }).requiresGrad_()],
      ),
    ).toBe(true);
  });

  it('mul_ by a constant, copy_ and fill_ pass gradcheck', () => {
    const c = tensor([0.5, -2, 3], { dtype: 'float64' });
    expect(gradcheck((a) => a.mul(1).mul_(c).mul_(1.5), [leaf([2, 3])])).toBe(true);
    expect(gradcheck((s) => zeros([2, 3], { dtype: 'float64' }).copy_(s).exp(), [leaf([3])])).toBe(true);
    expect(gradcheck((a) => a.mul(1).fill_(2).add(a.mul(a)), [leaf([4])])).toBe(true);
  });

  it('copy_ into a plain buffer routes the gradient to the source (summed over broadcasting, cast)', () => {
    const src = tensor([1, 2, 3], { dtype: 'float16' }).requiresGrad_();
    const buf = zeros([2, 3]);
    buf.copy_(src);
    expect(buf.isLeaf).toBe(false);
    buf.mul(buf).sum().backward();
    expect(src.grad!.dtype).toBe('float16');
    expect(values(src.grad!)).toEqual([4, 8, 12]);
  });

  it('modifying a tensor the backward needs is detected (version counter)', () => {
    const x = f32([1, 2]);
    const y = x.exp();
    const s = y.sum();
    y.add_(1);
    expect(() => s.backward()).toThrow(/modified by an in-place op/);
  });

  it('writing into a view of a tensor that requires grad is refused', () => {
    const x = f32([1, 2, 3, 4]);
    const y = x.mul(2);
    expect(() => y.slice(0, 0, 2).add_(1)).toThrow(/view/);
    expect(() => x.reshape([2, 2]).mul_(2)).toThrow(/view/);
  });

  it('mul_ by a tensor that requires grad is refused (its gradient needs the old values)', () => {
    const x = f32([1, 2]);
    const y = f32([3, 4]).mul(1);
    expect(() => y.mul_(x)).toThrow(/mul_/);
  });
});

describe('dtypes of gradients', () => {
  it('fp16 parameters get fp16 grads; fp32 batch-norm weights on fp16 inputs get fp32 grads', () => {
    const x = leaf([4, 3, 2, 2], 'float16');
    const w = leaf([3], 'float32');
    const b = leaf([3], 'float32');
    const lw = leaf([2, 12], 'float16', 0.1);
    const out = batchNorm(x, { weight: w, bias: b, training: true }).output;
    expect(out.dtype).toBe('float16');
    linear(out.reshape([4, 12]), lw)
      .float()
      .sum()
      .backward();
    expect([x.grad!.dtype, w.grad!.dtype, b.grad!.dtype, lw.grad!.dtype]).toEqual([
      'float16',
      'float32',
      'float32',
      'float16',
    ]);
  });

  it('bfloat16 leaves get bfloat16 grads', () => {
    const x = tensor([1, 2, 3], { dtype: 'bfloat16' }).requiresGrad_();
    x.mul(x).float().sum().backward();
    expect(x.grad!.dtype).toBe('bfloat16');
    expect(values(x.grad!)).toEqual([2, 4, 6]);
  });

  it('a deep chain (5,000 ops) backwards without recursion', () => {
    const x = f32([1]);
    tidy(() => {
      let y = x;
      for (let i = 0; i < 5000; i++) y = y.mul(1.0001);
      y.sum().backward();
    });
    expect(x.grad!.item()).toBeCloseTo(1.0001 ** 5000, 0);
  });

  it('grad assignment checks shape and dtype', () => {
    const x = f32([1, 2]);
    expect(() => {
      x.grad = zeros([3]);
    }).toThrow(/shape \[2\], got shape \[3\]/);
    expect(() => {
      x.grad = zeros([2], { dtype: 'float16' });
    }).toThrow(/dtype float32, got dtype float16/);
  });
});

describe('memory', () => {
  it('leaf grads and assigned grads outlive the tidy; the backward leaves nothing else behind', () => {
    const x = f32([1, 2, 3]);
    const w = f32([4, 5, 6]);
    const before = memory();
    tidy(() => x.mul(w).exp().sum().backward());
    const after = memory();
    expect(after.numTensors - before.numTensors).toBe(2);
    expect(after.numStorages - before.numStorages).toBe(2);
    expect(x.grad!.isDisposed).toBe(false);
    const old = x.grad!;
    tidy(() => {
      x.grad = ones([3]);
    });
    expect(values(x.grad!)).toEqual([1, 1, 1]);
    expect(old.isDisposed).toBe(true);
    const kept = memory().numTensors;
    expect(kept).toBe(after.numTensors);
    zeroGrad([x, w]);
    expect(memory().numTensors).toBe(kept - 2);
  });
});

describe('gradcheck itself', () => {
  it('catches a wrong formula, naming the input and element', () => {
    const right = getGradient('tanh')!;
    registerGradient('tanh', (g) => [g]);
    try {
      const x = leaf([3]);
      let err: unknown;
      try {
        gradcheck((t) => t.tanh(), [x]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GradcheckError);
      expect((err as GradcheckError).input).toBe(0);
      expect((err as GradcheckError).element).toBe(0);
      expect((err as Error).message).toMatch(/input 0, element 0/);
    } finally {
      registerGradient('tanh', right);
    }
  });

  it('restores the inputs and their grads', () => {
    const x = leaf([2]);
    const v = values(x);
    x.grad = ones([2], { dtype: 'float64' });
    gradcheck((t) => t.exp(), [x]);
    expect(values(x)).toEqual(v);
    expect(values(x.grad!)).toEqual([1, 1]);
  });
});
