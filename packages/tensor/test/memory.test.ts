import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  arange,
  DisposedError,
  keep,
  memory,
  ones,
  rand,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../src/index';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Expects fn to throw a DisposedError naming `op`. */
function expectDisposed(fn: () => unknown, op: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, op).toBeInstanceOf(DisposedError);
  expect((err as DisposedError).op).toBe(op);
  expect((err as Error).message).toMatch(new RegExp(`^${op}: tensor is disposed \\(expected a live tensor`));
}

describe('tidy', () => {
  it('10,000 ops in tidy scopes leave memory at its baseline', () => {
    const before = memory();
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      tidy(() => {
        const a = arange(24, undefined, 1, { dtype: i % 2 ? 'float16' : 'float32' }); // 1
        const b = a.reshape([2, 3, 4]).permute([2, 0, 1]); // 3
        const c = b.half().bfloat16(); // 5
        const d = c.slice(0, 1, 3).reshape([-1]); // 7 (a view: c is contiguous)
        const e = c.T.reshape([-1]); // 9 (a copy)
        zeros([5]).fill_(i); // 10
        d.float().double(); // 12
        e.narrow(0, 1, 2); // 13
        peak = Math.max(peak, memory().numTensors - before.numTensors);
      });
    }
    expect(peak).toBe(13);
    expect(memory()).toEqual(before);
  });

  it('keeps exactly the tensors returned, alone or in arrays, objects and Maps, through nested scopes', () => {
    const before = memory();
    const { one, list, obj, map, cyclic } = tidy(() => {
      const one = tidy(() => {
        zeros([3]);
        return ones([2]);
      });
      const list = tidy(() => [zeros([1]), [ones([1])], 5, 'x', null]);
      const obj = tidy(() => ({ a: zeros([4]), nested: { b: ones([4]) }, n: 1 }));
      const map = tidy(() => {
        zeros([7]);
        return new Map([['k', ones([2])]]);
      });
      // A cyclic, diamond-shaped result is walked once per container, not once per path.
      const cyclic = tidy(() => {
        const node: Record<string, unknown> = { t: ones([1]) };
        let layer: Record<string, unknown> = node;
        for (let i = 0; i < 20; i++) layer = { l: layer, r: layer, self: null };
        layer.self = layer;
        node.top = layer;
        return layer;
      });
      zeros([100]); // dropped by the outer scope
      return { one, list, obj, map, cyclic };
    });
    // Kept: one, list (2), obj (2), map (1), cyclic (1).
    expect(memory().numTensors - before.numTensors).toBe(7);
    const live: Tensor[] = [
      one,
      list[0] as Tensor,
      (list[1] as Tensor[])[0]!,
      obj.a,
      obj.nested.b,
      map.get('k')!,
    ];
    for (const t of live) expect(t.isDisposed).toBe(false);
    for (const t of live) t.dispose();
    let node = cyclic as Record<string, unknown>;
    while (node.l) node = node.l as Record<string, unknown>;
    (node.t as Tensor).dispose();
    expect(memory()).toEqual(before);
  });

  it('frees the scope when fn throws, and rethrows the same error', () => {
    const before = memory();
    const boom = new Error('boom');
    expect(() =>
      tidy(() => {
        zeros([10]);
        tidy(() => ones([5]));
        throw boom;
      }),
    ).toThrow(boom);
    expect(memory()).toEqual(before);
    // A MantissaError thrown by an op inside tidy frees the same way.
    expect(() =>
      tidy(() => {
        const x = zeros([2, 3]);
        x.reshape([7]);
      }),
    ).toThrow(/reshape/);
    expect(memory()).toEqual(before);
  });

  it('refuses async functions, after freeing what they created synchronously', async () => {
    const before = memory();
    expect(() =>
      tidy((async () => {
        zeros([3]);
      }) as () => unknown),
    ).toThrow(ArgumentError);
    expect(() => tidy(42 as never)).toThrow(ArgumentError);
    expect(memory()).toEqual(before);
  });

  it('keep() exempts a tensor from every enclosing scope', () => {
    const before = memory();
    let kept: Tensor | undefined;
    tidy(() =>
      tidy(() => {
        kept = keep(zeros([2]));
      }),
    );
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
    expect(memory()).toEqual(before);
  });
});

describe('dispose and shared storage', () => {
  it('dispose() is idempotent', () => {
    const before = memory();
    const x = zeros([8]);
    x.dispose();
    x.dispose();
    x.dispose();
    expect(memory()).toEqual(before);
  });

  it('a disposed view leaves its base intact, and a disposed base leaves its views intact', () => {
    const before = memory();
    const base = arange(6);
    const matrix = base.reshape([2, 3]);
    const view = matrix.T;
    const other = base.slice(0, 2);
    matrix.dispose();
    expect(memory().numStorages - before.numStorages).toBe(1);
    view.dispose();
    expect(base.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    base.dispose();
    expect(memory().numStorages - before.numStorages).toBe(1);
    expect(other.toArray()).toEqual([2, 3, 4, 5]);
    other.fill_(1);
    expect(other.toArray()).toEqual([1, 1, 1, 1]);
    other.dispose();
    expect(memory()).toEqual(before);
  });

  it('a copy made by reshape owns its own storage', () => {
    const before = memory();
    const x = arange(6);
    const xt = tidy(() => x.reshape([2, 3]).T);
    const y = tidy(() => xt.reshape([6]));
    expect(y.storage.id).not.toBe(x.storage.id);
    x.dispose();
    xt.dispose();
    expect(memory().numStorages - before.numStorages).toBe(1);
    expect(y.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    y.dispose();
    expect(memory()).toEqual(before);
  });

  it('a disposed tensor throws DisposedError for views, casts, reads and writes', () => {
    const x = arange(6).reshape([2, 3]);
    const v = x.T;
    x.dispose();
    expect(v.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    v.dispose();
    const views: [string, () => unknown][] = [
      ['reshape', () => x.reshape([6])],
      ['view', () => x.view([6])],
      ['reshape', () => x.flatten()],
      ['permute', () => x.permute([1, 0])],
      ['T', () => x.T],
      ['transpose', () => x.transpose(0, 1)],
      ['slice', () => x.slice(0, 1)],
      ['narrow', () => x.narrow(0, 0, 1)],
      ['expand', () => x.expand([2, 2, 3])],
      ['squeeze', () => x.squeeze()],
      ['unsqueeze', () => x.unsqueeze(0)],
      ['contiguous', () => x.contiguous()],
      ['to', () => x.half()],
      ['to', () => x.to('float32')],
      ['to', () => x.to({ dtype: 'int32' })],
      ['clone', () => x.clone()],
      ['toArray', () => x.toArray()],
      ['data', () => x.data()],
      ['item', () => x.item()],
      ['fill_', () => x.fill_(1)],
      ['toArray', () => v.toArray()],
    ];
    for (const [op, fn] of views) expectDisposed(fn, op);
    const half = zeros([2], { dtype: 'float16' });
    half.dispose();
    expectDisposed(() => half.bits(), 'bits');
  });
});

describe('FinalizationRegistry backstop', () => {
  async function collect(): Promise<void> {
    // Finalizers run in a later task after a collection: several gc + macrotask rounds let them all
    // run (and clear the objects a finalizer itself released).
    for (let i = 0; i < 20; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  it('frees the storage of dropped tensors, and only when no view is left', async () => {
    await collect();
    const before = memory();
    let survivor: Tensor | null = null;
    (() => {
      for (let i = 0; i < 50; i++) rand([1000]);
      const base = zeros([64]);
      base.reshape([8, 8]).T; // a dropped view of a base that survives through `survivor`
      survivor = base.slice(0, 8, 16);
      tensor([1, 2, 3]).half();
    })();
    await collect();
    expect(memory().numStorages - before.numStorages).toBe(1);
    expect(memory().numTensors - before.numTensors).toBe(1);
    expect(survivor!.toArray()).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    survivor = null;
    await collect();
    expect(memory()).toEqual(before);
  });

  it('does not free a tensor that is still referenced', async () => {
    const x = arange(4);
    await collect();
    expect(x.toArray()).toEqual([0, 1, 2, 3]);
    x.dispose();
  });
});
