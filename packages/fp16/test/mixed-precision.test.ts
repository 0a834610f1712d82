import { noGrad } from '@mantissa/autograd';
import { crossEntropy, Linear } from '@mantissa/nn';
import { MantissaError, manualSeed, randn, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  batchToHalf,
  Fp16OptionError,
  LossScaleError,
  MixedPrecision,
  type MixedPrecisionOptions,
  mixedPrecisionOf,
  toFp16,
  toFp32,
} from '../src';
import { bitsOf, makeCnn, plantInGrad } from './helpers';
import { ensureOpt, type MiniLearner, miniFit, miniLearner, probe } from './loop';

function fp16Learner(options: MixedPrecisionOptions = {}, seed = 11, nTrain = 4) {
  return toFp16(miniLearner(makeCnn(seed), nTrain), options);
}

function allFinite(ts: readonly Tensor[]): boolean {
  return ts.every((t) => Array.from(t.data()).every(Number.isFinite));
}

function optState(learn: MiniLearner) {
  const st = learn.opt!.opt.stateDict().state;
  return Object.entries(st).map(([k, v]) => [
    k,
    Object.fromEntries(Object.entries(v).map(([n, x]) => [n, typeof x === 'number' ? x : bitsOf(x)])),
  ]);
}

function release(learn: MiniLearner) {
  learn.opt?.dispose();
  mixedPrecisionOf(learn)?.dispose();
  learn.model.dispose();
  for (const [x, y] of [...learn.data.train, ...(learn.data.valid ?? [])]) {
    x.dispose();
    y.dispose();
  }
}

describe('loss scaling fixes real fp16 underflow', () => {
  // A linear layer whose loss carries a tiny weight: its fp16 gradients are below half's smallest
  // subnormal (6e-8) and flush to zero unless the loss is scaled.
  function setup(scale: number) {
    manualSeed(5);
    const model = new Linear(16, 2);
    const x = tidy(() => randn([32, 16]).mul(0.05).half().float());
    const y = tensor(
      Array.from({ length: 32 }, (_, i) => i % 2),
      { dtype: 'int32' },
    );
    const learn = miniLearner(model, 0, 0, { lr: 1e-3, wd: 0 });
    learn.data.train.push([x, y]);
    learn.lossFunc = (out, t) => crossEntropy(out, t).mul(5e-7);
    // The fp32 reference: the same (fp16-representable) weights and inputs, all in fp32.
    manualSeed(5);
    const ref = new Linear(16, 2);
    noGrad(() => {
      const h = ref.weight.half();
      ref.weight.copy_(h);
      h.dispose();
      const hb = ref.bias!.half();
      ref.bias!.copy_(hb);
      hb.dispose();
    });
    tidy(() => learn.lossFunc(ref.forward(x), y).backward());
    toFp16(learn, { lossScale: scale });
    return { learn, ref };
  }

  it('without scaling every fp16 gradient is zero; with 2**16 they match the fp32 gradients', () => {
    const grads: Record<string, number[]>[] = [];
    const modelGrads: number[][] = [];
    for (const scale of [1, 2 ** 16]) {
      const { learn, ref } = setup(scale);
      const w0 = bitsOf(learn.model.getParameter('weight'));
      const spy = probe(1000, {
        onBackwardEnd: () => {
          const mp = mixedPrecisionOf(learn)!;
          grads.push(
            Object.fromEntries(mp.masters!.namedMasterGrads().map(([n, g]) => [n, Array.from(g.data())])),
          );
          modelGrads.push(Array.from(learn.model.getParameter('weight').grad!.data()));
        },
      });
      miniFit(learn, 1, [spy]);
      const refW = Array.from(ref.weight.grad!.data());
      const maxRef = Math.max(...refW.map(Math.abs));
      expect(maxRef).toBeLessThan(2.9e-8); // below half of fp16's smallest subnormal
      expect(maxRef).toBeGreaterThan(1e-9);
      const got = grads.at(-1)!.weight!;
      if (scale === 1) {
        expect(got.every((g) => g === 0)).toBe(true);
        expect(modelGrads.at(-1)!.every((g) => g === 0)).toBe(true);
        // Adam with zero gradients and no weight decay does not move.
        expect(bitsOf(learn.model.getParameter('weight'))).toEqual(w0);
      } else {
        expect(got.filter((g) => g !== 0).length).toBe(got.length);
        got.forEach((g, i) => {
          expect(Math.abs(g - refW[i]!), `weight grad ${i}: ${g} vs fp32 ${refW[i]}`).toBeLessThan(
            4e-3 * Math.abs(refW[i]!) + 2e-3 * maxRef,
          );
        });
        expect(bitsOf(learn.model.getParameter('weight'))).not.toEqual(w0);
      }
      ref.weight.grad = null;
      ref.bias!.grad = null;
      ref.dispose();
      release(learn);
    }
  });
});

describe('MixedPrecision: overflow', () => {
  it('skips planted inf/NaN steps for real, halves the scale, keeps the masters finite, and trains on', () => {
    const learn = fp16Learner({ dynamic: true, lossScale: 2 ** 10, maxNoskip: 3 }, 11, 6);
    const mp = mixedPrecisionOf(learn)!;
    const plantAt: Record<number, number> = {
      1: Number.POSITIVE_INFINITY,
      4: Number.NaN,
      8: Number.NEGATIVE_INFINITY,
    };
    let iteration = 0;
    const log: { scale: number; skipped: boolean; finite: boolean }[] = [];
    let before: { w: number[][]; opt: unknown } | null = null;
    let skipEvents = 0;
    const cbs = [
      probe(500, {
        onBackwardEnd: () => {
          const v = plantAt[iteration];
          if (v !== undefined) plantInGrad(learn.model, '1.0.weight', 7, v);
          before = { w: mp.masters!.namedMasters().map(([, t]) => bitsOf(t)), opt: optState(learn) };
        },
        onStepSkipped: () => {
          skipEvents++;
        },
      }),
      probe(1000, {
        onStepEnd: (s) => {
          const masters = mp.masters!.namedMasters().map(([, t]) => t);
          const skipped = s.skipStep;
          log.push({ scale: mp.scaler.scale, skipped, finite: allFinite(masters) });
          if (skipped) {
            // A true skip: no update, no weight decay, no moment or step-count change.
            expect(masters.map(bitsOf)).toEqual(before!.w);
            expect(optState(learn)).toEqual(before!.opt);
          } else {
            expect(masters.map(bitsOf)).not.toEqual(before!.w);
          }
          iteration++;
        },
      }),
    ];
    miniFit(learn, 2, cbs);
    expect(log.map((l) => l.skipped)).toEqual([
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(skipEvents).toBe(3);
    expect(log.every((l) => l.finite)).toBe(true);
    // Halved at steps 1, 4 and 8; doubled after the 3 clean steps 5-7 and 9-11 (maxNoskip 3).
    expect(log.map((l) => l.scale)).toEqual([1024, 512, 512, 512, 256, 256, 256, 512, 256, 256, 256, 512]);
    expect(mp.scaler.skipped).toBe(3);
    expect(mp.scaler.steps).toBe(12);
    // The model holds the masters rounded to fp16.
    expect(mp.masters!.inSyncWithModel()).toBe(true);
    // The step counter of Adam counts only the 9 real steps.
    expect(learn.opt!.opt.stateDict().state[0]!.step).toBe(9);
    release(learn);
  });

  it('throws a LossScaleError at the floor instead of stepping with inf, naming the parameter', () => {
    const learn = fp16Learner({ dynamic: true, lossScale: 2, minScale: 1 });
    const mp = mixedPrecisionOf(learn)!;
    const planter = probe(500, { onBackwardEnd: () => plantInGrad(learn.model, '2.0.bias', 1, Number.NaN) });
    let err: unknown;
    try {
      miniFit(learn, 1, [planter]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LossScaleError);
    expect(MantissaError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain("'2.0.bias' at index 1");
    expect(mp.scaler.scale).toBe(1);
    expect(mp.scaler.skipped).toBe(2);
    expect(allFinite(mp.masters!.namedMasters().map(([, t]) => t))).toBe(true);
    expect(allFinite(learn.model.parameters())).toBe(true);
    release(learn);
  });

  it("atMinScale 'skip' keeps skipping at the floor, and warns once per streak", () => {
    const warnings: string[] = [];
    const learn = fp16Learner({ lossScale: 512, atMinScale: 'skip', warn: (m) => warnings.push(m) });
    const mp = mixedPrecisionOf(learn)!;
    const planter = probe(500, {
      onBackwardEnd: () => plantInGrad(learn.model, '0.0.weight', 0, Number.POSITIVE_INFINITY),
    });
    miniFit(learn, 1, [planter]);
    expect(mp.scaler.scale).toBe(512); // static (toFp16's default)
    expect(mp.scaler.skipped).toBe(4);
    expect(warnings).toEqual([
      "MixedPrecision: gradient overflow with the static loss scale 512 (first non-finite gradient: '0.0.weight' at index 0): step skipped, and the next ones will be while it lasts",
    ]);
    release(learn);
  });

  it('warns when the scale keeps falling (stuck), with the first offending parameter', () => {
    const warnings: string[] = [];
    const learn = fp16Learner({ dynamic: true, stuckAfter: 3, warn: (m) => warnings.push(m) });
    const planter = probe(500, {
      onBackwardEnd: () => plantInGrad(learn.model, '1.2.weight', 2, Number.NaN),
    });
    miniFit(learn, 1, [planter]);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(
      /^MixedPrecision: 3 steps in a row skipped for gradient overflow, loss scale now 8192 \(first non-finite gradient: '1.2.weight' at index 2\)/,
    );
    release(learn);
  });
});

describe('MixedPrecision: fastai v1 behaviour', () => {
  it('casts inputs to half and outputs to fp32, scales the loss, logs the unscaled smoothed loss', () => {
    const learn = fp16Learner({ lossScale: 256 });
    const seen: string[] = [];
    const cb = probe(1000, {
      onBatchBegin: (s) => void seen.push(`input ${s.lastInput!.dtype}`),
      onLossBegin: (s) => void seen.push(`output ${s.lastOutput!.dtype}`),
      onBackwardBegin: (s) => {
        seen.push(`loss ${s.lastLoss!.dtype}`);
        // The loss handed to backward is 256 × the smoothed-from one.
        expect(s.smoothLoss).toBeLessThan(5);
        expect(s.lastLoss!.item()).toBeGreaterThan(100);
      },
    });
    miniFit(learn, 1, [cb]);
    expect(new Set(seen)).toEqual(new Set(['input float16', 'output float32', 'loss float32']));
    expect(seen.filter((s) => s === 'output float32').length).toBe(6); // 4 train + 2 valid
    release(learn);
  });

  it('onTrainBegin without an optimizer (a validate before any fit) only builds the masters', () => {
    const learn = fp16Learner();
    const mp = mixedPrecisionOf(learn)!;
    expect(learn.opt).toBeNull();
    expect(() => mp.onTrainBegin()).not.toThrow();
    expect(mp.masters).not.toBeNull();
    learn.opt = { lr: 1 } as never;
    expect(() => mp.onTrainBegin()).toThrow(/parameter groups/);
    learn.opt = null;
    release(learn);
  });

  it('lossFp32: false leaves the output in half', () => {
    const learn = fp16Learner({ lossFp32: false });
    const dtypes = new Set<string>();
    miniFit(learn, 1, [probe(1000, { onLossBegin: (s) => void dtypes.add(s.lastOutput!.dtype) })]);
    expect(dtypes).toEqual(new Set(['float16']));
    release(learn);
  });

  it('static scaling (dynamic: false) never changes the scale', () => {
    const learn = fp16Learner({ lossScale: 1024, maxNoskip: 1 });
    const scales = new Set<number>();
    const mp = mixedPrecisionOf(learn)!;
    miniFit(learn, 2, [probe(1000, { onStepEnd: () => void scales.add(mp.scaler.scale) })]);
    expect(scales).toEqual(new Set([1024]));
    expect(mp.scaler.dynamic).toBe(false);
    release(learn);
  });

  it('clip clips the unscaled gradients, per parameter group', () => {
    const clip = 0.05;
    const learn = fp16Learner({ lossScale: 2 ** 12, clip, flatMaster: true });
    const mp = mixedPrecisionOf(learn)!;
    const checks: number[][] = [];
    const cb = probe(1000, {
      onBackwardEnd: () => {
        // The model's (scaled) fp16 gradients / scale, clipped by the group's unscaled norm.
        const scale = mp.scaler.scale;
        const byName = new Map(mp.masters!.namedMasterGrads());
        const groups = mp.masters!.modelParams.map((ps) =>
          ps.map((p) => {
            const name = learn.model.namedParameters().find(([, q]) => q === p)![0];
            return {
              unscaled: Array.from(p.grad!.data()).map((g) => g / scale),
              master: Array.from(byName.get(name)!.data()),
            };
          }),
        );
        const norms = groups.map((g) =>
          Math.sqrt(g.flatMap((e) => e.unscaled).reduce((s, v) => s + v * v, 0)),
        );
        checks.push(norms);
        groups.forEach((g, gi) => {
          const coef = Math.min(1, clip / (norms[gi]! + 1e-6));
          for (const e of g) {
            e.master.forEach((m, i) => {
              expect(Math.abs(m - e.unscaled[i]! * coef)).toBeLessThanOrEqual(
                1e-6 * Math.abs(e.unscaled[i]!) + 1e-12,
              );
            });
          }
          const clippedNorm = Math.sqrt(g.flatMap((e) => e.master).reduce((s, v) => s + v * v, 0));
          expect(clippedNorm).toBeLessThanOrEqual(clip * (1 + 1e-5));
        });
      },
    });
    miniFit(learn, 1, [cb]);
    // The unscaled norms were above the clip (so clipping acted), the scaled ones far above.
    expect(checks.flat().every((n) => n > clip)).toBe(true);
    release(learn);
  });

  it('keeps the masters and the optimizer state across fit calls', () => {
    const learn = fp16Learner({ dynamic: true });
    const mp = mixedPrecisionOf(learn)!;
    miniFit(learn, 1);
    const opt = learn.opt!;
    const masters = mp.masters!;
    const afterFirst = masters.namedMasters().map(([, t]) => bitsOf(t));
    // fp32 precision beyond the model's fp16 values survives to the next fit.
    const rounded = masters.namedMasters().map(([, t]) => tidy(() => bitsOf(t.half().float())));
    expect(afterFirst).not.toEqual(rounded);
    miniFit(learn, 1, [
      probe(1000, {
        onTrainBegin: () => {
          expect(mp.masters).toBe(masters);
          expect(masters.namedMasters().map(([, t]) => bitsOf(t))).toEqual(afterFirst);
        },
      }),
    ]);
    expect(learn.opt).toBe(opt);
    expect(opt.opt.stateDict().state[0]!.step).toBe(8);
    release(learn);
  });

  it('re-derives the masters when the model was written outside (as fastai at every fit)', () => {
    const learn = fp16Learner();
    const mp = mixedPrecisionOf(learn)!;
    miniFit(learn, 1);
    noGrad(() => learn.model.getParameter('0.0.weight').fill_(0.5));
    let checked = false;
    miniFit(learn, 1, [
      probe(0, {
        onBatchBegin: () => {
          if (checked) return;
          const m = mp.masters!.namedMasters().find(([n]) => n === '0.0.weight')![1];
          expect(new Set(m.data())).toEqual(new Set([0.5]));
          checked = true;
        },
      }),
    ]);
    expect(checked).toBe(true);
    release(learn);
  });

  it('bfloat16 runs with the scaler off and trains', () => {
    const learn = fp16Learner({ dtype: 'bfloat16', dynamic: true });
    const mp = mixedPrecisionOf(learn)!;
    expect(learn.model.getParameter('0.0.weight').dtype).toBe('bfloat16');
    expect(learn.data.transforms).toEqual([expect.any(Function)]);
    const w0 = bitsOf(learn.model.getParameter('0.0.weight'));
    const losses: number[] = [];
    miniFit(learn, 1, [
      probe(1000, { onBackwardBegin: (s) => void losses.push(s.lastLoss!.item() as number) }),
    ]);
    expect(mp.scaler.enabled).toBe(false);
    expect(mp.scaler.scale).toBe(1);
    expect(losses.every((l) => l > 0 && l < 2)).toBe(true);
    expect(bitsOf(learn.model.getParameter('0.0.weight'))).not.toEqual(w0);
    release(learn);
  });
});

describe('toFp16 / toFp32', () => {
  it('converts the model, adds the transform and one callback; idempotent; defaults of the seed page', () => {
    const learn = miniLearner(makeCnn(1));
    toFp16(learn);
    toFp16(learn);
    expect(learn.data.transforms).toEqual([batchToHalf]);
    expect(learn.callbacks.filter((c) => c instanceof MixedPrecision).length).toBe(1);
    const mp = mixedPrecisionOf(learn)!;
    expect([mp.scaler.dynamic, mp.scaler.scale, mp.order, mp.flatMaster, mp.lossFp32, mp.clip]).toEqual([
      false,
      512,
      999,
      false,
      true,
      null,
    ]);
    expect(new MixedPrecision(learn).scaler.scale).toBe(2 ** 16); // the class itself: fastai's dynamic default
    expect(learn.model.getParameter('0.0.weight').dtype).toBe('float16');
    release(learn);
  });

  it('flatMaster replaces the model parameters before the optimizer exists', () => {
    const learn = miniLearner(makeCnn(1));
    const before = learn.model.parameters();
    toFp16(learn, { flatMaster: true });
    const after = learn.model.parameters();
    expect(after.some((p) => before.includes(p))).toBe(false);
    const opt = ensureOpt(learn);
    miniFit(learn, 1);
    expect(learn.model.parameters()).toEqual(after);
    expect(learn.opt).toBe(opt);
    expect(opt.paramGroups.map((g) => g.params.length)).toEqual([1, 1]);
    release(learn);
  });

  it('toFp32 removes everything and keeps the fp32 master weights', () => {
    const learn = fp16Learner({ dynamic: true });
    miniFit(learn, 1);
    const mp = mixedPrecisionOf(learn)!;
    const masters = Object.fromEntries(mp.masters!.namedMasters().map(([n, t]) => [n, bitsOf(t)]));
    toFp32(learn);
    expect(learn.callbacks).toEqual([]);
    expect(learn.data.transforms).toEqual([]);
    expect(mp.masters).toBeNull();
    for (const [n, p] of learn.model.namedParameters()) {
      expect(p.dtype).toBe('float32');
      expect(bitsOf(p), n).toEqual(masters[n]);
    }
    learn.opt!.dispose();
    learn.opt = null;
    miniFit(learn, 1); // trains in fp32 again
    release(learn);
  });

  it('rejects bad options with clear errors', () => {
    const learn = miniLearner(makeCnn(1));
    const bad: [MixedPrecisionOptions, RegExp][] = [
      [{ lossScale: 0 }, /expected lossScale to be a finite number > 0, got 0/],
      [{ lossScale: -512 }, /lossScale/],
      [{ maxNoskip: 0 }, /expected maxNoskip to be an integer >= 1, got 0/],
      [{ maxNoskip: 0.5 }, /maxNoskip/],
      [{ dtype: 'float64' as never }, /expected dtype to be 'float16' or 'bfloat16', got 'float64'/],
      [{ clip: -1 }, /expected clip to be a finite number > 0 or null/],
      [{ maxScale: 0 }, /maxScale/],
      [{ flatMaster: 'yes' as never }, /flatMaster to be a boolean/],
      [{ lossScale: 2 ** 30, dynamic: true }, /initScale to be in \[minScale, maxScale\]/],
      [{ loss_scale: 8 } as never, /option 'loss_scale'/],
    ];
    for (const [opts, msg] of bad) {
      let err: unknown;
      try {
        toFp16(learn, opts);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(Fp16OptionError);
      expect((err as Error).message).toMatch(msg);
    }
    // Nothing was changed by the rejected calls.
    expect(learn.callbacks).toEqual([]);
    expect(learn.model.getParameter('0.0.weight').dtype).toBe('float32');
    expect(() => toFp16({} as never)).toThrow(/expected learn to be a learner/);
    release(learn);
  });
});

describe('MixedPrecision state: save → load → continue', () => {
  for (const flatMaster of [false, true]) {
    it(`equals an unbroken run bit for bit (weights, optimizer state, scaler)${flatMaster ? ', flat' : ''}`, () => {
      const opts: MixedPrecisionOptions = { dynamic: true, lossScale: 2 ** 8, maxNoskip: 3, flatMaster };
      const plant = (learn: MiniLearner, at: number) => {
        let i = 0;
        return probe(500, {
          onBackwardEnd: () => {
            if (i++ === at) plantInGrad(learn.model, '1.0.weight', 0, Number.NaN);
          },
        });
      };
      const unbroken = fp16Learner(opts);
      miniFit(unbroken, 1, [plant(unbroken, 2)]);
      miniFit(unbroken, 1, [plant(unbroken, 1)]);

      const first = fp16Learner(opts);
      miniFit(first, 1, [plant(first, 2)]);
      // What learn.save writes (model, optimizer, callbacks with state), copied so nothing is shared.
      const model = tidy(() =>
        Object.fromEntries(Object.entries(first.model.stateDict()).map(([k, t]) => [k, t.clone()])),
      );
      const optLive = first.opt!.stateDict();
      const opt = {
        ...optLive,
        opt: {
          ...optLive.opt,
          state: Object.fromEntries(
            Object.entries(optLive.opt.state).map(([k, st]) => [
              k,
              Object.fromEntries(
                Object.entries(st).map(([n, v]) => [n, typeof v === 'number' ? v : v.clone()]),
              ),
            ]),
          ),
        },
      };
      const mpState = mixedPrecisionOf(first)!.stateDict();
      const masters = Object.fromEntries(
        Object.entries(mpState.masters!.params).map(([k, t]) => [k, t.clone()]),
      );
      const saved = JSON.parse(JSON.stringify({ ...mpState, masters: { ...mpState.masters, params: {} } }));
      saved.masters.params = masters;
      release(first);

      // A fresh learner: toFp16, optimizer, callback state (points the optimizer at the masters), then
      // the model and the optimizer's state.
      const resumed = fp16Learner(opts, 999);
      ensureOpt(resumed);
      mixedPrecisionOf(resumed)!.loadStateDict(saved);
      resumed.model.loadStateDict(model);
      resumed.opt!.loadStateDict(opt);
      miniFit(resumed, 1, [plant(resumed, 1)]);

      const a = mixedPrecisionOf(unbroken)!;
      const b = mixedPrecisionOf(resumed)!;
      expect(b.scaler.stateDict()).toEqual(a.scaler.stateDict());
      expect(b.scaler.skipped).toBe(2);
      expect(resumed.model.namedParameters().map(([n, p]) => [n, bitsOf(p)])).toEqual(
        unbroken.model.namedParameters().map(([n, p]) => [n, bitsOf(p)]),
      );
      expect(resumed.model.namedBuffers().map(([n, p]) => [n, bitsOf(p)])).toEqual(
        unbroken.model.namedBuffers().map(([n, p]) => [n, bitsOf(p)]),
      );
      expect(b.masters!.namedMasters().map(([n, t]) => [n, bitsOf(t)])).toEqual(
        a.masters!.namedMasters().map(([n, t]) => [n, bitsOf(t)]),
      );
      expect(optState(resumed)).toEqual(optState(unbroken));
      for (const t of [...Object.values(model), ...Object.values(masters)]) t.dispose();
      release(unbroken);
      release(resumed);
    });
  }
});
