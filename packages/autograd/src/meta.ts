import type { Tensor } from '@mantissa/tensor';
import type { GradNode } from './node';

/** A hook on a tensor's gradient; a returned tensor replaces the gradient. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing at all (the contract's type)
export type GradHook = (grad: Tensor) => Tensor | undefined | void;

/** What autograd knows about one tensor object (views are separate objects, as in PyTorch). */
export interface TensorMeta {
  requiresGrad: boolean;
  grad: Tensor | null;
  /** The node that produced this tensor; null for leaves. */
  gradFn: GradNode | null;
  /** Hooks of a leaf, run on its summed gradient before it is accumulated into .grad. */
  hooks: GradHook[] | null;
}

const META = Symbol('mantissa.autograd');
type WithMeta = Tensor & { [META]?: TensorMeta };

/** The meta of t, or undefined when autograd never touched it (a plain leaf that does not require grad). */
export function peekMeta(t: Tensor): TensorMeta | undefined {
  return (t as WithMeta)[META];
}

export function metaOf(t: Tensor): TensorMeta {
  let m = (t as WithMeta)[META];
  if (m === undefined) {
    m = { requiresGrad: false, grad: null, gradFn: null, hooks: null };
    (t as WithMeta)[META] = m;
  }
  return m;
}

export function requiresGrad(t: Tensor): boolean {
  return (t as WithMeta)[META]?.requiresGrad === true;
}

/**
 * PyTorch's version counter, per storage (shared by all views): bumped by every in-place op, so a
 * backward that needs a saved tensor overwritten since the forward throws instead of using new values.
 */
const versions = new WeakMap<object, number>();

export function versionOf(t: Tensor): number {
  return versions.get(t.storage) ?? 0;
}

export function bumpVersion(t: Tensor): void {
  versions.set(t.storage, (versions.get(t.storage) ?? 0) + 1);
}
