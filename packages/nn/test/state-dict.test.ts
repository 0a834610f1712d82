import { MantissaError, type Tensor, tensor, tidy, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  Conv2d,
  Linear,
  Sequential,
  StateDictError,
  StateDictKeysError,
  simpleCnn,
} from '../src/index';
import { thrown } from './helpers';

const values = (t: Tensor) => Array.from(t.float().data() as Float32Array);

describe('stateDict', () => {
  it('holds parameters then buffers per module, children after, under PyTorch key names', () => {
    const m = new Sequential(new Conv2d(3, 4, 3, { bias: false }), new BatchNorm2d(4), new Linear(4, 2));
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual([
      '0.weight',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
      '2.weight',
      '2.bias',
    ]);
    expect(sd['1.num_batches_tracked']!.dtype).toBe('int32');
    expect(sd['1.num_batches_tracked']!.shape).toEqual([]);
    // Detached views of the module's own storage.
    const w = sd['2.weight']!;
    expect(w.requiresGrad).toBe(false);
    expect(w).not.toBe((m.at(2) as Linear).weight);
    expect(w.storage).toBe((m.at(2) as Linear).weight.storage);
  });

  it('leaves out non-persistent buffers and absent (null) ones', () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false, affine: false });
    expect(Object.keys(bn.stateDict())).toEqual([]);
    const lin = new Linear(2, 2);
    lin.registerBuffer('cache', zeros([2]), { persistent: false });
    expect(Object.keys(lin.stateDict())).toEqual(['weight', 'bias']);
    expect(lin.namedBuffers().map((e) => e[0])).toEqual(['cache']);
  });

  it('round-trips into another model, keeping the parameter objects', () => {
    const a = simpleCnn([3, 8, 4], null, null, true);
    const b = simpleCnn([3, 8, 4], null, null, true);
    const before = b.parameters();
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.parameters()).toEqual(before);
    for (const [k, v] of Object.entries(a.stateDict()))
      expect(values(b.stateDict()[k]!), k).toEqual(values(v));
    expect(b.parameters()[0]!.requiresGrad).toBe(true);
  });

  it('converts each tensor to the parameter’s dtype, and accepts a Map', () => {
    const lin = new Linear(2, 1);
    lin.loadStateDict(
      new Map([
        ['weight', tensor([[0.1, 0.2]], { dtype: 'float16' })],
        ['bias', tensor([3], { dtype: 'float64' })],
      ]),
    );
    expect(lin.weight.dtype).toBe('float32');
    // 0.1 in float16 is 0.0999755859375, which float32 holds exactly.
    expect(values(lin.weight)[0]).toBe(0.0999755859375);
    expect(values(lin.bias!)).toEqual([3]);
  });

  it('refuses missing and unexpected keys when strict, reporting both, and copies nothing', () => {
    const lin = new Linear(2, 1);
    const w0 = values(lin.weight);
    const e = thrown(() => lin.loadStateDict({ weight: zeros([1, 2]), extra: zeros([1]) }));
    expect(e).toBeInstanceOf(StateDictKeysError);
    expect(e).toBeInstanceOf(StateDictError);
    expect(e).toBeInstanceOf(MantissaError);
    expect(e.message).toContain("'bias'");
    expect(e.message).toContain('1 missing [bias]');
    expect(e.message).toContain('1 unexpected [extra]');
    expect((e as StateDictKeysError).missingKeys).toEqual(['bias']);
    expect((e as StateDictKeysError).unexpectedKeys).toEqual(['extra']);
    expect(values(lin.weight)).toEqual(w0);

    const u = thrown(() => lin.loadStateDict({ weight: zeros([1, 2]), bias: zeros([1]), extra: zeros([1]) }));
    expect(u.message).toMatch(/'extra': unexpected key/);

    const r = lin.loadStateDict({ weight: zeros([1, 2]), extra: zeros([1]) }, { strict: false });
    expect(r).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    expect(values(lin.weight)).toEqual([0, 0]);
  });

  it('refuses a tensor of another shape, naming the key and both shapes, even when not strict', () => {
    const small = simpleCnn([3, 16, 16, 2]);
    const other = simpleCnn([3, 8, 16, 2]);
    const w0 = values(small.getParameter('2.0.weight'));
    for (const strict of [true, false]) {
      const e = thrown(() => small.loadStateDict(other.stateDict(), { strict }));
      expect(e).toBeInstanceOf(StateDictError);
      expect(e.message).toBe(
        "Module.loadStateDict: '0.0.weight': shape of the parameter: expected [16, 3, 3, 3], got [8, 3, 3, 3]",
      );
      expect((e as StateDictError).key).toBe('0.0.weight');
      expect((e as StateDictError).expected).toEqual([16, 3, 3, 3]);
    }
    // Nothing was copied, not even the keys that fit.
    expect(values(small.getParameter('2.0.weight'))).toEqual(w0);
  });

  it('refuses a value that is not a tensor', () => {
    const lin = new Linear(1, 1);
    const e = thrown(() => lin.loadStateDict({ weight: [[1]] as unknown as Tensor, bias: zeros([1]) }));
    expect(e.message).toContain("'weight'");
    expect(thrown(() => lin.loadStateDict(null as never)).message).toContain('expected a state dict');
  });

  it('works inside tidy without freeing the module', () => {
    const lin = new Linear(2, 2);
    const copy = new Linear(2, 2);
    tidy(() => {
      copy.loadStateDict(lin.stateDict());
    });
    expect(values(copy.weight)).toEqual(values(lin.weight));
    expect(copy.weight.isDisposed).toBe(false);
  });
});
