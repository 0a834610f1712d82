import type { LoopState } from './types';

/** Every key of the loop state: a callback may return only these. */
export const STATE_KEYS: readonly (keyof LoopState)[] = [
  'epoch',
  'iteration',
  'numBatch',
  'nEpochs',
  'train',
  'lastInput',
  'lastTarget',
  'lastOutput',
  'lastLoss',
  'smoothLoss',
  'lastMetrics',
  'metrics',
  'metricsNames',
  'stopEpoch',
  'stopTraining',
  'skipStep',
  'skipZero',
  'skipBwd',
  'skipValidate',
  'exception',
];

/** fastai's `_get_init_state()` ({epoch: 0, iteration: 0, num_batch: 0, skip_validate: False}), with every other key empty. */
export function initialState(): LoopState {
  return {
    epoch: 0,
    iteration: 0,
    numBatch: 0,
    nEpochs: 0,
    train: true,
    lastInput: null,
    lastTarget: null,
    lastOutput: null,
    lastLoss: null,
    smoothLoss: null,
    lastMetrics: [],
    metrics: [],
    metricsNames: [],
    stopEpoch: false,
    stopTraining: false,
    skipStep: false,
    skipZero: false,
    skipBwd: false,
    skipValidate: false,
    exception: false,
  };
}
