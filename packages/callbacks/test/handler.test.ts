import { MantissaError, type Tensor } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import { Callback, CallbackError, CallbackHandler, type LoopState, StateKeyError } from '../src';
import { fakeLearner, fit } from './fake-loop';
import { Recording } from './recording';

const TRAIN_BATCH = [
  'onBatchBegin',
  'onLossBegin',
  'onBackwardBegin',
  'onBackwardEnd',
  'onStepEnd',
  'onBatchEnd',
];
const VALID_BATCH = ['onBatchBegin', 'onLossBegin', 'onBatchEnd'];

function epochEvents(nTrain: number, nValid: number): string[] {
  return [
    'onEpochBegin',
    ...Array.from({ length: nTrain }, () => TRAIN_BATCH).flat(),
    ...Array.from({ length: nValid }, () => VALID_BATCH).flat(),
    'onEpochEnd',
  ];
}

describe('CallbackHandler: events in fastai order', () => {
  it('fires every event of fit in order, callbacks and metrics as fastai does', () => {
    const learn = fakeLearner([0.5, 0.25, 0.75], [0.5, 0.125]);
    const rec = new Recording();
    const met = new Recording('met');
    met.name = 'my_metric';
    const cb = new CallbackHandler([rec], [met]);
    fit(2, learn, cb);

    expect(rec.events()).toEqual(['onTrainBegin', ...epochEvents(3, 2), ...epochEvents(3, 2), 'onTrainEnd']);
    // metrics: not in training batches, nor in loss/backward/step events
    const metEpoch = [
      'onEpochBegin',
      'onBatchBegin',
      'onBatchEnd',
      'onBatchBegin',
      'onBatchEnd',
      'onEpochEnd',
    ];
    expect(met.events()).toEqual(['onTrainBegin', ...metEpoch, ...metEpoch, 'onTrainEnd']);
    expect(learn.opt.steps).toBe(6);
    expect(learn.opt.zeros).toBe(6);
    expect(learn.backwards).toBe(6);
  });

  it('gives each event the documented state', () => {
    const learn = fakeLearner([0.5, 0.25, 0.75], [0.5, 0.125]);
    const rec = new Recording();
    const cb = new CallbackHandler(
      [rec],
      [Object.assign((o: Tensor) => o.narrow(1, 1, 1).mean(), { metricName: 'acc' })],
    );
    fit(2, learn, cb);
    const at = (event: string, k = 0) => rec.log.filter((s) => s.event === event)[k]!;

    const tb = at('onTrainBegin');
    expect(tb).toMatchObject({ epoch: 0, iteration: 0, numBatch: 0, nEpochs: 2, metricsNames: ['acc'] });

    // during the second epoch's training batches: counters before the increment of onBatchEnd
    const b = rec.log.filter((s) => s.event === 'onBatchBegin' && s.train);
    expect(b.map((s) => [s.epoch, s.iteration, s.numBatch])).toEqual([
      [0, 0, 0],
      [0, 1, 1],
      [0, 2, 2],
      [1, 3, 0],
      [1, 4, 1],
      [1, 5, 2],
    ]);
    // validation batches: counters frozen, train false
    const vb = rec.log.filter((s) => s.event === 'onBatchEnd' && !s.train);
    expect(vb.map((s) => [s.epoch, s.iteration, s.numBatch])).toEqual([
      [0, 3, 3],
      [0, 3, 3],
      [1, 6, 3],
      [1, 6, 3],
    ]);
    // onBatchEnd sees the batch's loss; onEpochEnd a 0-based epoch and [validLoss]
    expect(rec.log.filter((s) => s.event === 'onBatchEnd').map((s) => s.lastLoss)).toEqual([
      0.5, 0.25, 0.75, 0.5, 0.125, 0.5, 0.25, 0.75, 0.5, 0.125,
    ]);
    const ee = rec.log.filter((s) => s.event === 'onEpochEnd');
    expect(ee.map((s) => s.epoch)).toEqual([0, 1]);
    // weighted mean of 0.5 and 0.125 (3 rows each), then the metric's value appended before the callbacks run
    expect(ee[0]!.lastMetrics[0]).toBeCloseTo(0.3125, 7);
    expect(ee[0]!.lastMetrics[1]).toBe(0.6875);
    // the smoothed loss: debiased EMA of the raw losses, continuing across epochs
    const sb = rec.log.filter((s) => s.event === 'onBackwardBegin').map((s) => s.smoothLoss!);
    expect(sb[0]).toBe(0.5);
    let mov = 0;
    [0.5, 0.25, 0.75, 0.5, 0.25, 0.75].forEach((v, i) => {
      mov = 0.98 * mov + 0.02 * v;
      expect(sb[i]).toBeCloseTo(mov / (1 - 0.98 ** (i + 1)), 6);
    });
    expect(at('onTrainEnd')).toMatchObject({ epoch: 2, iteration: 6, exception: false });
  });

  it('sorts callbacks by order, stably, and lets later ones see what earlier ones changed', () => {
    const seen: string[] = [];
    class Tag extends Callback {
      constructor(
        readonly tag: string,
        order: number,
      ) {
        super();
        this.order = order;
      }
      override onTrainBegin(s: LoopState) {
        seen.push(`${this.tag}:${s.nEpochs}`);
        return { nEpochs: s.nEpochs + 1 };
      }
    }
    const cb = new CallbackHandler([new Tag('a', 0), new Tag('b', -10), new Tag('c', 0), new Tag('d', 999)]);
    cb.onTrainBegin(1, []);
    expect(seen).toEqual(['b:1', 'a:2', 'c:3', 'd:4']);
    expect(cb.state.nEpochs).toBe(5);
  });

  it('resets the state on train begin', () => {
    const learn = fakeLearner([0.5, 0.25], null);
    const rec = new Recording();
    const cb = new CallbackHandler([rec]);
    fit(1, learn, cb);
    expect(cb.state).toMatchObject({ epoch: 1, iteration: 2 });
    rec.log = [];
    fit(1, learn, cb);
    expect(rec.log[0]).toMatchObject({ event: 'onTrainBegin', epoch: 0, iteration: 0, numBatch: 0 });
    // no validation set: onEpochEnd gets [null] and metrics are not called
    expect(rec.log.at(-2)).toMatchObject({ event: 'onEpochEnd', lastMetrics: [null] });
  });
});

describe('CallbackHandler: returned state replaces the loop values', () => {
  it('replaces input, output and loss, and the loop uses the replacements', () => {
    const learn = fakeLearner([0.5], null);
    const used: number[] = [];
    class Scale extends Callback {
      override onBatchBegin(s: LoopState) {
        return { lastInput: s.lastInput!.mul(2) };
      }
      override onLossBegin(s: LoopState) {
        return { lastOutput: s.lastOutput!.add(1) };
      }
      override onBackwardBegin(s: LoopState) {
        used.push(Number(s.lastLoss!.item()), s.smoothLoss!);
        return { lastLoss: s.lastLoss!.mul(10) };
      }
      override onBatchEnd(s: LoopState) {
        used.push(Number(s.lastLoss!.item()));
      }
    }
    fit(1, learn, new CallbackHandler([new Scale()]));
    // x = 0.5 → input 1 → output 2 → loss 2; the smoother saw the unscaled loss; onBatchEnd the scaled one
    expect(used).toEqual([2, 2, 20]);
  });

  it('honours the control flags', () => {
    class Flags extends Callback {
      override onBackwardBegin() {
        return { skipBwd: true };
      }
      override onBackwardEnd() {
        return { skipStep: true };
      }
      override onStepEnd() {
        return { skipZero: true };
      }
      override onEpochBegin() {
        return { skipValidate: true };
      }
      override onBatchEnd(s: LoopState) {
        return s.numBatch === 1 ? { stopEpoch: true, stopTraining: true } : undefined;
      }
    }
    const learn = fakeLearner([0.5, 0.25, 0.75], [0.5]);
    const rec = new Recording('rec', 1);
    fit(3, learn, new CallbackHandler([new Flags(), rec]));
    expect(learn.backwards).toBe(0);
    expect(learn.opt.steps).toBe(0);
    expect(learn.opt.zeros).toBe(0);
    expect(rec.events()).toEqual([
      'onTrainBegin',
      'onEpochBegin',
      ...TRAIN_BATCH.flatMap((e) => (e === 'onStepEnd' ? ['onStepSkipped', e] : [e])),
      ...TRAIN_BATCH.flatMap((e) => (e === 'onStepEnd' ? ['onStepSkipped', e] : [e])),
      'onEpochEnd',
      'onTrainEnd',
    ]);
  });

  it('stopTraining set before onEpochEnd is cleared by the next onEpochBegin, as in fastai', () => {
    class EarlyStop extends Callback {
      override onBatchBegin() {
        return { stopTraining: true };
      }
    }
    const learn = fakeLearner([0.5], null);
    const rec = new Recording();
    fit(2, learn, new CallbackHandler([new EarlyStop(), rec]));
    // it only takes effect at epoch end
    expect(rec.events().filter((e) => e === 'onEpochEnd')).toHaveLength(1);
  });

  it('a moved start epoch calls jumpToEpoch and skips the earlier epochs', () => {
    const jumps: number[] = [];
    class Resume extends Callback {
      override onTrainBegin() {
        return { epoch: 2 };
      }
      override jumpToEpoch(e: number) {
        jumps.push(e);
      }
    }
    const learn = fakeLearner([0.5], null);
    const rec = new Recording();
    fit(3, learn, new CallbackHandler([new Resume(), rec]));
    expect(jumps).toEqual([2]);
    expect(rec.log.filter((s) => s.event === 'onEpochEnd').map((s) => s.epoch)).toEqual([2]);
  });
});

describe('CallbackHandler: errors', () => {
  it('throws a CallbackError naming an unknown key', () => {
    class Bad extends Callback {
      override onEpochBegin() {
        return { lastLos: 1 } as unknown as Partial<LoopState>;
      }
    }
    const learn = fakeLearner([0.5], null);
    const rec = new Recording();
    let err: unknown;
    try {
      fit(1, learn, new CallbackHandler([new Bad(), rec]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateKeyError);
    expect(err).toBeInstanceOf(CallbackError);
    expect(MantissaError.isInstance(err)).toBe(true);
    expect((err as StateKeyError).key).toBe('lastLos');
    expect((err as Error).message).toContain("lastLos isn't a valid key in the state of the callbacks");
    expect((err as Error).message).toContain('Bad.onEpochBegin');
    // onTrainEnd still runs, with the exception
    expect(rec.log.at(-1)).toMatchObject({ event: 'onTrainEnd', exception: err });
  });

  it('rejects a non-callback and a non-object result', () => {
    expect(() => new CallbackHandler([{} as Callback])).toThrow(CallbackError);
    class Weird extends Callback {
      override onTrainBegin() {
        return 3 as unknown as Partial<LoopState>;
      }
    }
    expect(() => new CallbackHandler([new Weird()]).onTrainBegin(1)).toThrow(/Weird.onTrainBegin/);
  });
});
