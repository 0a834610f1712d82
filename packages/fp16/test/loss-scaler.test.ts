import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MantissaError, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Fp16OptionError, Fp16StateError, LossScaleError, LossScaler, type LossScalerOptions } from '../src';

type Runs = [start: number, length: number][];

interface FastaiCase {
  name: string;
  options: { loss_scale?: number; max_noskip?: number; dynamic?: boolean; max_scale?: number };
  steps: number;
  overflows: Runs;
  scale: number[];
  noskip: number[];
  skipped: Runs;
}

interface DeepSpeedCase {
  name: string;
  options: LossScalerOptions;
  steps: number;
  overflows: Runs;
  scale: number[];
  hysteresisLeft: number[];
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'scaler.json'), 'utf8')) as {
  fastai: FastaiCase[];
  deepspeed: DeepSpeedCase[];
};

function flags(steps: number, runs: Runs): boolean[] {
  const out = new Array<boolean>(steps).fill(false);
  for (const [s, n] of runs) for (let i = s; i < s + n; i++) out[i] = true;
  return out;
}

describe('LossScaler: the scale trajectory', () => {
  for (const c of fixture.fastai) {
    it(`equals fastai v1's algorithm over a planted sequence (${c.name})`, () => {
      const o = c.options;
      const scaler = new LossScaler({
        dynamic: o.dynamic ?? true,
        initScale: o.loss_scale,
        growthInterval: o.max_noskip,
        maxScale: o.max_scale,
        // fastai's static scaling never looks at the gradients; Mantissa's skips an overflow instead.
        atMinScale: 'skip',
      });
      const overflow = flags(c.steps, c.overflows);
      const skippedAt = flags(c.steps, c.skipped);
      const dynamic = o.dynamic ?? true;
      for (let i = 0; i < c.steps; i++) {
        const r = scaler.update(overflow[i]!);
        if (scaler.scale !== c.scale[i] || (dynamic && scaler.goodSteps !== c.noskip[i])) {
          expect.fail(
            `step ${i}: scale ${scaler.scale} (fastai ${c.scale[i]}), noskip ${scaler.goodSteps} (fastai ${c.noskip[i]})`,
          );
        }
        if (dynamic && r.skipped !== skippedAt[i]) expect.fail(`step ${i}: skipped ${r.skipped}`);
      }
      expect(scaler.steps).toBe(c.steps);
      const nOverflows = overflow.filter(Boolean).length;
      expect(scaler.skipped).toBe(nOverflows);
      if (!dynamic) expect(new Set(c.scale)).toEqual(new Set([512]));
    });
  }

  it('reaches and holds maxScale in the defaults case', () => {
    const c = fixture.fastai.find((x) => x.name === 'defaults')!;
    expect(Math.max(...c.scale)).toBe(2 ** 24);
    expect(Math.max(...c.noskip)).toBeGreaterThan(1000);
  });

  for (const c of fixture.deepspeed) {
    it(`delays the back-off as DeepSpeed's hysteresis (${c.name})`, () => {
      const scaler = new LossScaler({ ...c.options, growthInterval: 10 ** 9, atMinScale: 'skip' });
      const overflow = flags(c.steps, c.overflows);
      for (let i = 0; i < c.steps; i++) {
        scaler.update(overflow[i]!);
        expect([i, scaler.scale, scaler.hysteresisLeft]).toEqual([i, c.scale[i], c.hysteresisLeft[i]]);
      }
    });
  }

  it('restores the hysteresis after a full growth window (DeepSpeed)', () => {
    const s = new LossScaler({ initScale: 64, growthInterval: 2, hysteresis: 2 });
    const seen = [true, false, false, true, true].map((f) => [s.update(f).scale, s.hysteresisLeft]);
    expect(seen).toEqual([
      [64, 1],
      [64, 1],
      [128, 2],
      [128, 1],
      [64, 1],
    ]);
  });

  it('caps growth at maxScale when the factor would overshoot it', () => {
    const s = new LossScaler({ initScale: 3, growthInterval: 1, maxScale: 10 });
    const seen = [1, 2, 3].map(() => s.update(false).scale);
    expect(seen).toEqual([6, 10, 10]);
  });

  it('never goes below minScale and throws at the floor by default', () => {
    const s = new LossScaler({ initScale: 4, minScale: 1 });
    expect(s.update(true)).toMatchObject({ skipped: true, previousScale: 4, scale: 2 });
    expect(s.update(true).scale).toBe(1);
    let err: unknown;
    try {
      s.update(true, { name: '0.0.weight', index: 17 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LossScaleError);
    expect(MantissaError.isInstance(err)).toBe(true);
    expect((err as LossScaleError).scale).toBe(1);
    expect((err as Error).message).toContain("'0.0.weight' at index 17");
    expect(s.skipped).toBe(3);
    expect(s.scale).toBe(1);
  });

  it("keeps skipping at the floor with atMinScale: 'skip'", () => {
    const s = new LossScaler({ initScale: 2, minScale: 2, atMinScale: 'skip' });
    const r = s.update(true);
    expect(r).toMatchObject({ skipped: true, atFloor: true, scale: 2 });
    expect(s.update(true).atFloor).toBe(true);
    expect(s.consecutiveSkipped).toBe(2);
    s.update(false);
    expect(s.consecutiveSkipped).toBe(0);
  });

  it('static scaling never changes the scale, and skips (or throws on) an overflow', () => {
    const s = new LossScaler({ dynamic: false, atMinScale: 'skip', growthInterval: 1 });
    expect(s.scale).toBe(512);
    for (let i = 0; i < 20; i++) expect(s.update(i % 3 === 0).scale).toBe(512);
    expect(s.skipped).toBe(7);
    expect(() => new LossScaler({ dynamic: false }).update(true)).toThrow(LossScaleError);
  });

  it('a disabled scaler (bf16) has scale 1 and never moves', () => {
    const s = new LossScaler({ enabled: false, atMinScale: 'skip', growthInterval: 1 });
    expect(s.scale).toBe(1);
    s.update(false);
    s.update(true);
    expect(s.scale).toBe(1);
    expect(() => new LossScaler({ enabled: false }).update(true)).toThrow(/cannot go below 1/);
  });
});

describe('LossScaler.unscaleAndCheck', () => {
  it('unscales half gradients into float32 and reports no overflow on clean ones', () => {
    tidy(() => {
      const s = new LossScaler({ initScale: 1024 });
      const g = tensor([1024, -2048, 3], { dtype: 'float16' });
      const m = tensor([0, 0, 0]);
      const r = s.unscaleAndCheck([g], [m], ['w']);
      expect(r).toEqual({ foundInf: false, flags: [false], site: null });
      expect(Array.from(m.data())).toEqual([1, -2, 3 / 1024]);
    });
  });

  it('names the first offending parameter and the flat index of its first non-finite element', () => {
    tidy(() => {
      const s = new LossScaler();
      const a = tensor([1, 2, 3, 4]);
      const b = tensor(
        [
          [1, 2, 3],
          [4, Number.NaN, Number.POSITIVE_INFINITY],
        ],
        { dtype: 'float16' },
      );
      const c = tensor([Number.POSITIVE_INFINITY], { dtype: 'float16' });
      const dst = [a, b, c].map((t) => t.float());
      const r = s.unscaleAndCheck([a, b, c], dst, ['fc.weight', 'conv.weight', 'conv.bias']);
      expect(r.foundInf).toBe(true);
      expect(r.flags).toEqual([false, true, true]);
      expect(r.site).toEqual({ name: 'conv.weight', index: 4 });
      expect(s.lastSite).toEqual(r.site);
    });
  });

  it('maps an index in a flat buffer to the parameter it belongs to', () => {
    tidy(() => {
      const s = new LossScaler({ initScale: 2 });
      const flat = tensor([1, 2, 3, 4, 5, Number.NEGATIVE_INFINITY, 7], { dtype: 'float16' });
      const out = tensor(new Float32Array(7));
      const spans = [
        { name: 'a', offset: 0, numel: 4 },
        { name: 'b', offset: 4, numel: 3 },
      ];
      const r = s.unscaleAndCheck([flat], [out], [spans]);
      expect(r.site).toEqual({ name: 'b', index: 1 });
    });
  });

  it('unscales in place without destinations, over more pairs than one kernel call takes', () => {
    tidy(() => {
      const s = new LossScaler({ initScale: 4 });
      const grads: Tensor[] = [];
      for (let i = 0; i < 70; i++) grads.push(tensor([4 * i, 8], { dtype: 'float32' }));
      grads[65] = tensor([Number.NaN, 1]);
      const r = s.unscaleAndCheck(grads);
      expect(r.flags.filter(Boolean).length).toBe(1);
      expect(r.site).toEqual({ name: 'gradient 65', index: 0 });
      expect(Array.from(grads[40]!.data())).toEqual([40, 2]);
    });
  });

  it('scaleLoss multiplies by the scale', () => {
    tidy(() => {
      const s = new LossScaler({ dynamic: false });
      expect(s.scaleLoss(tensor(0.25)).item()).toBe(128);
    });
  });
});

describe('LossScaler state', () => {
  it('stateDict → loadStateDict resumes the exact trajectory', () => {
    const opts: LossScalerOptions = { growthInterval: 3, hysteresis: 2, initScale: 2 ** 10 };
    const pattern = [false, true, true, false, false, false, false, true, false, false, false, false];
    const unbroken = new LossScaler(opts);
    const first = new LossScaler(opts);
    const trace: number[] = [];
    pattern.forEach((f, i) => {
      trace.push(unbroken.update(f).scale);
      if (i < 6) first.update(f);
    });
    const dict = JSON.parse(JSON.stringify(first.stateDict()));
    expect(dict.version).toBe(1);
    expect(dict.options.hysteresis).toBe(2);
    const resumed = new LossScaler(opts);
    resumed.loadStateDict(dict);
    const rest = pattern.slice(6).map((f) => resumed.update(f).scale);
    expect(rest).toEqual(trace.slice(6));
    expect(resumed.stateDict()).toEqual(unbroken.stateDict());
  });

  it('loads into a disabled scaler without taking its scale', () => {
    const a = new LossScaler({ initScale: 64 });
    a.update(true);
    const b = new LossScaler({ enabled: false });
    b.loadStateDict(a.stateDict());
    expect(b.scale).toBe(1);
    expect(b.skipped).toBe(1);
  });

  it('rejects a state dict of another schema or with a bad field', () => {
    const s = new LossScaler();
    const good = s.stateDict();
    expect(() => s.loadStateDict({ ...good, version: 2 })).toThrow(Fp16StateError);
    expect(() => s.loadStateDict({ ...good, scale: -1 })).toThrow(/'scale'/);
    expect(() => s.loadStateDict({ ...good, goodSteps: 1.5 })).toThrow(/'goodSteps'/);
    expect(() => s.loadStateDict(null as never)).toThrow(Fp16StateError);
  });
});

describe('LossScaler options', () => {
  const bad: [LossScalerOptions, RegExp][] = [
    [{ initScale: 0 }, /initScale to be a finite number > 0, got 0/],
    [{ initScale: -512 }, /initScale/],
    [{ initScale: Number.POSITIVE_INFINITY }, /initScale/],
    [{ growthInterval: 0 }, /growthInterval to be an integer >= 1, got 0/],
    [{ growthInterval: 2.5 }, /growthInterval/],
    [{ growthFactor: 1 }, /growthFactor to be a number > 1/],
    [{ backoffFactor: 1 }, /backoffFactor to be a number in \(0, 1\)/],
    [{ minScale: 8, maxScale: 4 }, /minScale to be at most maxScale/],
    [{ initScale: 2 ** 30 }, /initScale to be in \[minScale, maxScale\]/],
    [{ hysteresis: 0 }, /hysteresis/],
    [{ atMinScale: 'warn' as never }, /atMinScale to be 'throw' or 'skip', got 'warn'/],
    [{ dynamic: 'yes' as never }, /dynamic to be a boolean/],
    [{ maxNoskip: 10 } as never, /option 'maxNoskip'/],
  ];
  for (const [opts, msg] of bad) {
    it(`rejects ${JSON.stringify(opts)}`, () => {
      let err: unknown;
      try {
        new LossScaler(opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Fp16OptionError);
      expect(MantissaError.isInstance(err)).toBe(true);
      expect((err as Error).message).toMatch(/^LossScaler: /);
      expect((err as Error).message).toMatch(msg);
    });
  }

  it('has fastai and the issue defaults', () => {
    expect(new LossScaler().options).toEqual({
      enabled: true,
      dynamic: true,
      initScale: 2 ** 16,
      growthInterval: 1000,
      growthFactor: 2,
      backoffFactor: 0.5,
      maxScale: 2 ** 24,
      minScale: 1,
      hysteresis: 1,
      consecutiveHysteresis: false,
      atMinScale: 'throw',
    });
    expect(new LossScaler({ dynamic: false }).scale).toBe(512);
  });
});
