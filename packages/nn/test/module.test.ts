import { MantissaError, memory, type Tensor, tidy, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Linear, Module, NnError, Parameter, ReLU, Sequential } from '../src/index';
import { thrown } from './helpers';

class Block extends Module {
  conv = new Conv2d(2, 3, 3);
  bn = new BatchNorm2d(3);
  scale = new Parameter(zeros([3]));
  act = new ReLU();
  notState = zeros([1]);

  forward(x: Tensor): Tensor {
    return this.act.forward(this.bn.forward(this.conv.forward(x)));
  }
}

class Net extends Module {
  layers = new Sequential(new Linear(4, 5), new ReLU(), new Linear(5, 2));
  head: Linear;

  constructor() {
    super();
    this.head = new Linear(2, 2, false);
    this.registerBuffer('steps', zeros([], { dtype: 'int32' }));
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.layers.forward(x));
  }
}

describe('Module registration and traversal', () => {
  it('names parameters as PyTorch, in declaration order', () => {
    const net = new Net();
    expect(net.namedParameters().map((e) => e[0])).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.2.weight',
      'layers.2.bias',
      'head.weight',
    ]);
    expect(net.parameters()).toHaveLength(5);
    expect(net.parameters()[0]).toBe((net.layers.at(0) as Linear).weight);
  });

  it('keeps a module’s own parameters before its children’s, fields in declaration order', () => {
    const b = new Block();
    expect(b.namedParameters().map((e) => e[0])).toEqual([
      'scale',
      'conv.weight',
      'conv.bias',
      'bn.weight',
      'bn.bias',
    ]);
    expect(b.namedChildren().map((e) => e[0])).toEqual(['conv', 'bn', 'act']);
    expect(b.children()).toEqual([b.conv, b.bn, b.act]);
    expect(b.namedBuffers().map((e) => e[0])).toEqual([
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
    expect(b.buffers()[2]!.dtype).toBe('int32');
  });

  it('lists modules depth first with dotted names', () => {
    const net = new Net();
    expect(net.namedModules().map((e) => e[0])).toEqual([
      '',
      'layers',
      'layers.0',
      'layers.1',
      'layers.2',
      'head',
    ]);
    expect(net.modules()[0]).toBe(net);
  });

  it('lists a shared parameter and a shared module once', () => {
    const lin = new Linear(3, 3);
    const seq = new Sequential(lin, new ReLU(), lin);
    expect(seq.modules()).toHaveLength(3);
    expect(seq.namedParameters().map((e) => e[0])).toEqual(['0.weight', '0.bias']);
    // The state dict keeps both names, as PyTorch's.
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('registers under computed names, replaces registered ones, and refuses clashes', () => {
    const m = new Sequential();
    m.registerParameter('alpha', new Parameter(zeros([2])));
    m.registerModule('sub', new ReLU());
    m.registerParameter('gamma', null);
    expect(m.namedParameters().map((e) => e[0])).toEqual(['alpha']);
    const replacement = new Parameter(zeros([2]));
    m.registerParameter('alpha', replacement);
    expect(m.getParameter('alpha')).toBe(replacement);
    m.registerParameter('gamma', new Parameter(zeros([1])));
    expect(m.namedParameters().map((e) => e[0])).toEqual(['alpha', 'gamma']);

    for (const [fn, text] of [
      [() => m.registerParameter('sub', new Parameter(zeros([1]))), "'sub'"],
      [() => m.registerModule('alpha', new ReLU()), "'alpha'"],
      [() => m.registerParameter('training', new Parameter(zeros([1]))), "'training'"],
      [() => m.registerParameter('forward', new Parameter(zeros([1]))), "'forward'"],
      [() => m.registerParameter('a.b', new Parameter(zeros([1]))), 'a.b'],
      [() => m.registerParameter('', new Parameter(zeros([1]))), 'non-empty'],
      [() => m.registerParameter('x', zeros([1]) as unknown as Parameter), 'expected a Parameter'],
      [() => m.registerBuffer('alpha', zeros([1])), "'alpha'"],
    ] as const) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(NnError);
      expect(e).toBeInstanceOf(MantissaError);
      expect(e.message).toContain(text);
    }
  });

  it('finds submodules and parameters by dotted path, and replaces a parameter by one of its shape', () => {
    const net = new Net();
    expect(net.getSubmodule('layers.2')).toBe(net.layers.at(2));
    expect(net.getSubmodule('')).toBe(net);
    const w = net.getParameter('layers.2.weight');
    expect(w.shape).toEqual([2, 5]);
    const flat = zeros([10]);
    const view = new Parameter(flat.view([2, 5]));
    net.setParameter('layers.2.weight', view);
    expect((net.layers.at(2) as Linear).weight).toBe(view);
    expect(net.namedParameters()[2]).toEqual(['layers.2.weight', view]);
    expect(thrown(() => net.getSubmodule('layers.7')).message).toMatch(/layers\.7.*got '7'/);
    expect(thrown(() => net.getParameter('layers.0.nope')).message).toContain("got 'nope'");
    expect(thrown(() => net.setParameter('head.weight', new Parameter(zeros([3])))).message).toMatch(
      /shape \[2, 2\].*got shape \[3\]/,
    );
  });

  it('switches train/eval recursively, and apply visits children first', () => {
    const net = new Net();
    expect(net.training).toBe(true);
    expect(net.eval()).toBe(net);
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.layers.train(false);
    expect(net.training).toBe(true);
    expect(net.layers.at(0).training).toBe(false);
    const order: string[] = [];
    net.apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['Linear', 'ReLU', 'Linear', 'Sequential', 'Linear', 'Net']);
  });

  it('prints like PyTorch', () => {
    const s = new Sequential(new Conv2d(3, 16, 3, { stride: 2, padding: 1 }), new ReLU());
    expect(s.toString()).toBe(
      'Sequential(\n  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))\n  (1): ReLU()\n)',
    );
  });
});

describe('Parameter', () => {
  it('shares the storage of the tensor it wraps and requires grad by default', () => {
    const t = zeros([2, 3]);
    const p = new Parameter(t);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(new Parameter(t, false).requiresGrad).toBe(false);
    t.fill_(2);
    expect(p.toArray()).toEqual([
      [2, 2, 2],
      [2, 2, 2],
    ]);
    const col = new Parameter(t.slice(1, 1, 2));
    expect(col.shape).toEqual([2, 1]);
    expect(col.strides).toEqual([3, 1]);
  });

  it('outlives the tidy scope it was created in, until the module is disposed', () => {
    const before = memory().numTensors;
    const lin = tidy(() => new Linear(3, 2));
    expect(lin.weight.isDisposed).toBe(false);
    expect(tidy(() => lin.forward(zeros([1, 3])).shape)).toEqual([1, 2]);
    expect(memory().numTensors).toBe(before + 2);
    lin.dispose();
    expect(lin.weight.isDisposed).toBe(true);
    expect(memory().numTensors).toBe(before);
    const bn = new BatchNorm2d(2);
    bn.weight!.grad = zeros([2]);
    bn.dispose();
    expect(bn.numBatchesTracked!.isDisposed).toBe(true);
    expect(memory().numTensors).toBe(before);
  });
});
