import { DTYPES, isTensor, keep, ones, Tensor, tidy } from '@mantissa/tensor';
import { AutogradError } from './errors';
import { noGrad } from './grad-mode';
import { type GradHook, metaOf, peekMeta } from './meta';
import { type Edge, GradNode } from './node';
import { getGradient } from './registry';
import { sumTo } from './sum-to';

/**
 * Reverse-mode backward: counts each node's consumers, then runs every node once all of its output's
 * gradients have arrived (summed), handing one gradient per input to the node (or leaf) it came from.
 * Everything runs in noGrad inside one tidy(): intermediate gradients are disposed as soon as they are
 * consumed, and only leaf (and retained) gradients, kept, outlive it.
 */

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** A new tensor object over the same memory: lets two owners each dispose their own. */
function alias(t: Tensor): Tensor {
  return new Tensor(t.storage, t.shape, t.dtype, t.strides, t.offset, t.device);
}

/** t itself when nothing else sees its memory (so it may become a .grad and be written in place), else a copy. */
function exclusive(t: Tensor): Tensor {
  const own =
    t.storage.refs === 1 &&
    t.offset === 0 &&
    t.isContiguous &&
    t.numel * DTYPES[t.dtype].itemsize === t.storage.bytes;
  if (own) return t;
  const copy = t.clone();
  t.dispose();
  return copy;
}

function checkLike(op: string, what: string, g: Tensor, like: Tensor): void {
  if (g.shape.length !== like.shape.length || g.shape.some((s, i) => s !== like.shape[i])) {
    throw new AutogradError(op, `expected ${what} of shape ${fmt(like.shape)}, got shape ${fmt(g.shape)}`);
  }
  if (g.dtype !== like.dtype) {
    throw new AutogradError(op, `expected ${what} of dtype ${like.dtype}, got dtype ${g.dtype}`);
  }
}

/** Runs hooks in order on g; a returned tensor replaces it (same shape and dtype required). */
function runHooks(hooks: readonly GradHook[] | null, g: Tensor): Tensor {
  if (hooks === null) return g;
  for (const hook of hooks) {
    const r = tidy(() => hook(g));
    if (r === undefined || r === null || r === g) continue;
    if (!isTensor(r))
      throw new AutogradError(
        'registerHook',
        `expected a hook to return a Tensor or nothing, got ${typeof r}`,
      );
    checkLike('registerHook', 'a hook result', r, g);
    g.dispose();
    g = alias(r);
  }
  return g;
}

/** Adds g (owned) into an existing .grad in place, or makes it the .grad; the .grad outlives every tidy. */
function accumulate(t: Tensor, g: Tensor): void {
  const m = metaOf(t);
  if (m.grad === null || m.grad.isDisposed) {
    m.grad = keep(exclusive(g));
  } else {
    m.grad.add_(g);
    g.dispose();
  }
}

/** A formula's gradient for input i, summed to the input's shape and cast to its dtype. */
function finalize(node: GradNode, i: number, r: unknown): Tensor {
  if (!isTensor(r)) {
    throw new AutogradError(
      node.op,
      `expected the gradient formula to return a Tensor for input ${i}, got ${typeof r}`,
    );
  }
  const shape = node.inputShape(i);
  let g = sumTo(node.op, r, shape);
  const dtype = node.inputDType(i);
  if (g.dtype !== dtype) {
    const cast = g.to(dtype);
    if (g !== r) g.dispose();
    g = cast;
  }
  return g;
}

function applyNode(node: GradNode, g: Tensor, deliver: (e: Edge, g: Tensor) => void): void {
  g = runHooks(node.hooks, g);
  if (node.retained !== null) accumulate(node.retained, g.clone());
  const formula = getGradient(node.op);
  if (formula === undefined) {
    throw new AutogradError(
      node.op,
      `expected a gradient formula for op '${node.op}' (registerGradient) or its listing in NON_DIFFERENTIABLE, got neither`,
    );
  }
  const raw = tidy(() => formula(g, node));
  if (!Array.isArray(raw) || raw.length < node.numInputs) {
    throw new AutogradError(
      node.op,
      `expected the gradient formula to return ${node.numInputs} gradients, got ${Array.isArray(raw) ? raw.length : typeof raw}`,
    );
  }
  const handed = new Set<Tensor>();
  const made: Tensor[] = [g];
  try {
    for (let i = 0; i < node.numInputs; i++) {
      const edge = node.edges[i];
      const r = raw[i];
      if (isTensor(r)) made.push(r);
      if (edge == null || r === null || r === undefined) continue;
      let f = finalize(node, i, r);
      made.push(f);
      // Each owner gets its own object: add's [g, g] must not be disposed twice.
      if (f === g || handed.has(f)) f = alias(f);
      handed.add(f);
      deliver(edge, f);
    }
  } finally {
    for (const t of made) if (!handed.has(t)) t.dispose();
  }
}

/** @internal backward() for tensors and their output gradients (undefined: ones, for one-element outputs). */
export function runBackward(
  tensors: readonly Tensor[],
  grads: readonly (Tensor | undefined)[],
  retainGraph: boolean,
): void {
  const roots = tensors.map((t, i) => {
    if (!isTensor(t))
      throw new AutogradError('backward', `expected tensor ${i} to be a Tensor, got ${typeof t}`);
    t.assertLive('backward');
    const m = peekMeta(t);
    if (m === undefined || !m.requiresGrad) {
      throw new AutogradError(
        'backward',
        `expected tensor ${i} to require grad, got one that does not (and has no gradFn)`,
      );
    }
    const g = grads[i];
    if (g === undefined || g === null) {
      if (t.numel !== 1) {
        throw new AutogradError(
          'backward',
          `expected a gradient for a non-scalar output, or an output of shape [] (1 element), got shape ${fmt(t.shape)}`,
        );
      }
    } else {
      if (!isTensor(g))
        throw new AutogradError('backward', `expected gradient ${i} to be a Tensor, got ${typeof g}`);
      g.assertLive('backward');
      checkLike('backward', `gradient ${i}`, g, t);
    }
    return { target: (m.gradFn ?? t) as Edge, tensor: t, grad: g ?? undefined };
  });

  noGrad(() =>
    tidy(() => {
      // Consumers of each node's output, counted over the part of the graph the roots reach.
      const deps = new Map<Edge, number>();
      const stack: GradNode[] = [];
      for (const { target } of roots) {
        if (deps.has(target)) continue;
        deps.set(target, 0);
        if (target instanceof GradNode) stack.push(target);
      }
      while (stack.length > 0) {
        const node = stack.pop()!;
        for (const e of node.edges) {
          if (e == null) continue;
          const n = deps.get(e);
          deps.set(e, (n ?? 0) + 1);
          if (n === undefined && e instanceof GradNode) stack.push(e);
        }
      }

      const buffers = new Map<Edge, Tensor>();
      const deliver = (e: Edge, g: Tensor): void => {
        const prev = buffers.get(e);
        if (prev === undefined) {
          buffers.set(e, g);
        } else {
          buffers.set(e, prev.add(g));
          prev.dispose();
          g.dispose();
        }
      };
      for (const r of roots) {
        deliver(
          r.target,
          r.grad === undefined
            ? ones(r.tensor.shape, { dtype: r.tensor.dtype, device: r.tensor.device })
            : alias(r.grad),
        );
      }

      const ready: Edge[] = [];
      for (const { target } of roots)
        if (deps.get(target) === 0 && !ready.includes(target)) ready.push(target);
      while (ready.length > 0) {
        const item = ready.pop()!;
        const g = buffers.get(item);
        buffers.delete(item);
        if (item instanceof GradNode) {
          if (item.isReleased) {
            throw new AutogradError(
              item.op,
              'expected a graph with its saved tensors, got one already freed by an earlier backward ' +
                '(pass { retainGraph: true } to the first backward to backward through it again)',
            );
          }
          if (g !== undefined) applyNode(item, g, deliver);
          if (!retainGraph) item.release();
          for (const e of item.edges) {
            if (e == null) continue;
            const n = deps.get(e)! - 1;
            deps.set(e, n);
            if (n === 0) ready.push(e);
          }
        } else if (g !== undefined) {
          accumulate(item, runHooks(peekMeta(item)?.hooks ?? null, g));
        }
      }
    }),
  );
}
