import { DTYPES, isTensor, keep, Tensor } from '@mantissa/tensor';
import { runBackward } from './engine';
import { AutogradError } from './errors';
import { type GradHook, metaOf, peekMeta } from './meta';
import type { GradNode } from './node';

declare module '@mantissa/tensor' {
  interface Tensor {
    /** Whether gradients flow to this tensor. Settable on float leaves; fixed on op results. */
    requiresGrad: boolean;
    /**
     * The accumulated gradient (same shape and dtype); it outlives tidy(). Settable: null clears, and
     * the gradient replaced is disposed (the tensor owns it).
     */
    grad: Tensor | null;
    /** The node that produced this tensor; null for leaves and for results computed without grad. */
    readonly gradFn: GradNode | null;
    /** True unless produced by a recorded op. */
    readonly isLeaf: boolean;
    requiresGrad_(flag?: boolean): this;
    /** Accumulates d(this)/d(leaf) into each leaf's .grad; `gradient` is required unless one element. */
    backward(gradient?: Tensor, options?: { retainGraph?: boolean }): void;
    /** The same memory, outside the graph: no gradFn, requiresGrad false. */
    detach(): Tensor;
    /** Calls fn with this tensor's gradient each backward; a returned tensor replaces it. Returns a remover. */
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing at all (the contract's type)
    registerHook(fn: (grad: Tensor) => Tensor | undefined | void): () => void;
    /** Makes a non-leaf keep its .grad (accumulated, like a leaf's). */
    retainGrad(): void;
  }
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function setRequiresGrad(t: Tensor, flag: unknown): void {
  if (typeof flag !== 'boolean') {
    throw new AutogradError('requiresGrad', `expected a boolean, got ${String(flag)}`);
  }
  const m = peekMeta(t);
  if (m?.gradFn != null) {
    if (flag === m.requiresGrad) return;
    throw new AutogradError(
      'requiresGrad',
      `expected a leaf, got a tensor computed by '${m.gradFn.op}' (use detach() for a copy outside the graph)`,
    );
  }
  if (flag && !DTYPES[t.dtype].isFloat) {
    throw new AutogradError(
      'requiresGrad',
      `expected a float tensor (only float tensors can require grad), got dtype ${t.dtype}`,
    );
  }
  if (!flag && m === undefined) return;
  metaOf(t).requiresGrad = flag;
}

/**
 * A tensor owns its .grad: assigning another gradient (or null) disposes the one it replaces, so a
 * loop that reassigns gradients keeps flat memory. clone() a gradient to keep using it afterwards.
 */
function setGrad(t: Tensor, g: unknown): void {
  if (g !== null && g !== undefined) {
    if (!isTensor(g)) throw new AutogradError('grad', `expected a Tensor or null, got ${typeof g}`);
    g.assertLive('grad');
    if (g.shape.length !== t.shape.length || g.shape.some((s, i) => s !== t.shape[i])) {
      throw new AutogradError(
        'grad',
        `expected a gradient of shape ${fmt(t.shape)}, got shape ${fmt(g.shape)}`,
      );
    }
    if (g.dtype !== t.dtype) {
      throw new AutogradError('grad', `expected a gradient of dtype ${t.dtype}, got dtype ${g.dtype}`);
    }
    if (g.device !== t.device) {
      throw new AutogradError('grad', `expected a gradient on device ${t.device}, got device ${g.device}`);
    }
  }
  const m = peekMeta(t);
  if (m === undefined && (g === null || g === undefined)) return;
  const meta = m ?? metaOf(t);
  const old = meta.grad;
  meta.grad = g === null || g === undefined ? null : keep(g as Tensor);
  if (old !== null && old !== meta.grad) old.dispose();
}

function registerHook(t: Tensor, fn: GradHook): () => void {
  if (typeof fn !== 'function')
    throw new AutogradError('registerHook', `expected a function, got ${typeof fn}`);
  const m = peekMeta(t);
  if (m === undefined || !m.requiresGrad) {
    throw new AutogradError('registerHook', 'expected a tensor that requires grad, got one that does not');
  }
  const owner: { hooks: GradHook[] | null } = m.gradFn ?? m;
  owner.hooks ??= [];
  owner.hooks.push(fn);
  return () => {
    const i = owner.hooks?.indexOf(fn) ?? -1;
    if (i >= 0) owner.hooks!.splice(i, 1);
  };
}

Object.defineProperties(Tensor.prototype, {
  requiresGrad: {
    get(this: Tensor): boolean {
      return peekMeta(this)?.requiresGrad ?? false;
    },
    set(this: Tensor, flag: boolean) {
      setRequiresGrad(this, flag);
    },
    configurable: true,
  },
  grad: {
    get(this: Tensor): Tensor | null {
      return peekMeta(this)?.grad ?? null;
    },
    set(this: Tensor, g: Tensor | null) {
      setGrad(this, g);
    },
    configurable: true,
  },
  gradFn: {
    get(this: Tensor): GradNode | null {
      return peekMeta(this)?.gradFn ?? null;
    },
    configurable: true,
  },
  isLeaf: {
    get(this: Tensor): boolean {
      return (peekMeta(this)?.gradFn ?? null) === null;
    },
    configurable: true,
  },
});

Object.assign(Tensor.prototype, {
  requiresGrad_(this: Tensor, flag = true) {
    setRequiresGrad(this, flag);
    return this;
  },
  backward(this: Tensor, gradient?: Tensor, options: { retainGraph?: boolean } = {}) {
    runBackward([this], [gradient], options?.retainGraph === true);
  },
  detach(this: Tensor): Tensor {
    this.assertLive('detach');
    return new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset, this.device);
  },
  registerHook(this: Tensor, fn: GradHook) {
    return registerHook(this, fn);
  },
  retainGrad(this: Tensor) {
    const m = peekMeta(this);
    if (m === undefined || !m.requiresGrad) {
      throw new AutogradError('retainGrad', 'expected a tensor that requires grad, got one that does not');
    }
    if (m.gradFn !== null) m.gradFn.retained = this;
  },
});
