import { join } from 'node:path';
import { noGrad } from '@mantissa/autograd';
import {
  type Callback,
  CallbackHandler,
  type LearnerLike,
  type Metric,
  type OneCycleOptions,
  OneCycleScheduler,
  ProgressBar,
  Recorder,
} from '@mantissa/callbacks';
import { type MixedPrecisionOptions, toFp16, toFp32 } from '@mantissa/fp16';
import { crossEntropy, type Module, type Parameter } from '@mantissa/nn';
import { Adam, flattenModel, type LayerGroup, type OptFunc, OptimWrapper } from '@mantissa/optim';
import { type Device, isTensor, logSoftmax, type Tensor, tensor, tidy, zeros } from '@mantissa/tensor';
import { loadCheckpoint, saveCheckpoint, statefulCallbacks } from './checkpoint';
import { LearnerError } from './errors';
import {
  type BatchLoaderLike,
  checkMetrics,
  type DataLike,
  eachBatch,
  fit,
  type LossFunc,
  validate,
} from './loop';
import { crossEntropyFlat } from './loss';
import { DEFAULT_LR, type Lr, lrRange } from './lr';

/** The data a Learner trains on: @mantissa/data's DataBunch, or anything with the same shape. */
export interface LearnerData extends DataLike {
  /** The loss that fits the targets (`'crossEntropy'` for class indices), used when no lossFunc is given. */
  readonly lossFunc?: string;
  /** Where the data lives: the default `path` of the learner. */
  readonly path?: string;
  readonly classes?: readonly string[];
  /** Where the batches arrive (a DataBunch's `device`): the learner moves its model there. */
  readonly device?: Device;
}

export interface LearnerOptions {
  /** Functions `(output, target) => Tensor`, averaged over the validation set (e.g. `accuracy`). */
  metrics?: readonly (Metric | Callback)[];
  /** Default: the data's loss (`crossEntropyFlat` for class labels). */
  lossFunc?: LossFunc;
  /** Builds the inner optimizer from parameter groups; default Adam with betas (0.9, 0.99), as fastai's AdamW. */
  optFunc?: OptFunc;
  /** Weight decay, one value or one per layer group (default 1e-2). */
  wd?: number | readonly number[];
  /** Decoupled weight decay (default true). */
  trueWd?: boolean;
  /** Decay batch-norm parameters and biases too (default true). */
  bnWd?: boolean;
  /** Folder for checkpoints and logs (default: the data's path, else the working directory). */
  path?: string;
  /** Checkpoints go to `path/modelDir` (default 'models'). */
  modelDir?: string;
  /** Callbacks used by every fit. */
  callbacks?: readonly Callback[];
  /** Callback factories, called anew for every fit (after the Recorder's). */
  callbackFns?: readonly ((learn: Learner) => Callback)[];
  /** Default: one group holding every leaf module of the model (fastai's flatten_model). */
  layerGroups?: readonly LayerGroup[];
  /** Print nothing: no table, no progress bar. */
  silent?: boolean;
  /** Show fastprogress's per-batch bar on stderr when it is a terminal (default true). */
  progress?: boolean;
  /** Add the `time` column to the table (default true). */
  addTime?: boolean;
}

export interface FitOptions {
  /** Weight decay for this fit (default: the learner's). */
  wd?: number | readonly number[];
  /** Callbacks for this fit only. */
  callbacks?: readonly Callback[];
}

/** `fit`'s options and the OneCycleScheduler's (moms, divFactor, pctStart, finalDiv, totEpochs, startEpoch). */
export interface FitOneCycleOptions extends FitOptions, OneCycleOptions {}

export type DatasetType = 'train' | 'valid';

export interface PredsOptions {
  /** Applied to the outputs; default softmax over the last axis for a cross-entropy loss, else none. */
  activ?: ((output: Tensor) => Tensor) | null;
}

export interface Prediction {
  /** The class name (or the index when the data has no class names). */
  label: string | number;
  index: number;
  probs: number[];
}

/** fastai's `AdamW`: torch.optim.Adam with betas (0.9, 0.99); the wrapper adds the true weight decay. */
export const adamW: OptFunc = (groups) => new Adam(groups, { betas: [0.9, 0.99] });

const softmaxLast = (out: Tensor): Tensor => logSoftmax(out, -1).exp();

function sameParams(a: readonly Parameter[], b: readonly Parameter[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/**
 * fastai v1's Learner: a model, its data, a loss, an optimizer created on first use (and kept across
 * fits), metrics and callbacks.
 *
 * ```ts
 * const learn = new Learner(data, simpleCnn([3, 16, 16, 2]), { metrics: [accuracy] });
 * await learn.fitOneCycle(1);
 * ```
 */
export class Learner implements LearnerLike {
  readonly data: LearnerData;
  model: Module;
  opt: OptimWrapper | null = null;
  lossFunc: LossFunc;
  optFunc: OptFunc;
  metrics: (Metric | Callback)[];
  wd: number | readonly number[];
  readonly trueWd: boolean;
  readonly bnWd: boolean;
  path: string;
  modelDir: string;
  callbacks: Callback[];
  callbackFns: ((learn: Learner) => Callback)[];
  layerGroups: LayerGroup[];
  silent: boolean;
  progress: boolean;
  addTime: boolean;
  /** The Recorder of the last fit (a new one each fit, as fastai). */
  recorder: Recorder | null = null;
  /** The model parameters the optimizer was created for. */
  #optParams: Parameter[] = [];

  constructor(data: LearnerData, model: Module, options: LearnerOptions = {}) {
    const op = 'Learner';
    if (typeof data !== 'object' || data === null || !isLoader(data.train)) {
      throw new LearnerError(op, 'a DataBunch (train and valid loaders)', data, 'data');
    }
    if (data.valid !== null && data.valid !== undefined && !isLoader(data.valid)) {
      throw new LearnerError(op, 'a loader or null', data.valid, 'data.valid');
    }
    if (typeof model !== 'object' || model === null || typeof model.forward !== 'function') {
      throw new LearnerError(op, 'a Module', model, 'model');
    }
    const o = options;
    const metrics = [...(o.metrics ?? [])];
    checkMetrics(op, metrics);
    // Kept as given (not copied): a DataBunch's methods, e.g. addTransform for fp16, stay reachable.
    this.data = data;
    // fastai: `self.model = self.model.to(self.data.device)`; a model already there is left alone.
    if (data.device !== undefined && model.parameters().some((p) => p.device !== data.device)) {
      model.to(data.device);
    }
    this.model = model;
    this.metrics = metrics;
    this.lossFunc = o.lossFunc ?? defaultLoss(data.lossFunc);
    if (typeof this.lossFunc !== 'function') {
      throw new LearnerError(op, 'a function (output, target) => Tensor', this.lossFunc, 'lossFunc');
    }
    this.optFunc = o.optFunc ?? adamW;
    this.wd = o.wd ?? 1e-2;
    this.trueWd = o.trueWd ?? true;
    this.bnWd = o.bnWd ?? true;
    this.path = o.path ?? data.path ?? '.';
    this.modelDir = o.modelDir ?? 'models';
    this.callbacks = [...(o.callbacks ?? [])];
    this.callbackFns = [...(o.callbackFns ?? [])];
    this.layerGroups = o.layerGroups ? [...o.layerGroups] : [flattenModel(model)];
    this.silent = o.silent ?? false;
    this.progress = o.progress ?? true;
    this.addTime = o.addTime ?? true;
  }

  /** fastai's `lr_range`: the learning rate of each layer group. */
  lrRange(lr: Lr, op = 'Learner.lrRange'): number[] {
    return lrRange(op, lr, this.layerGroups.length);
  }

  /** Creates the optimizer (fastai's `create_opt`), replacing (and freeing) the current one. */
  createOpt(lr: Lr = DEFAULT_LR, wd: number | readonly number[] = this.wd): OptimWrapper {
    const lrs = this.lrRange(lr, 'Learner.createOpt');
    this.opt?.dispose?.(); // a callback may have swapped in another optimizer
    this.opt = OptimWrapper.create(this.optFunc, lrs, this.layerGroups, {
      wd,
      trueWd: this.trueWd,
      bnWd: this.bnWd,
    });
    this.#optParams = this.model.parameters();
    return this.opt;
  }

  /**
   * Trains for `epochs` epochs at `lr` (default slice(3e-3)). The optimizer is created on the first fit
   * and kept afterwards (its moments and step counts carry over, as in fastai when only the lr
   * changes); it is created anew when the model's parameters were replaced (e.g. by `model.to()`).
   */
  async fit(epochs: number, lr: Lr = DEFAULT_LR, options: FitOptions = {}): Promise<void> {
    const op = 'Learner.fit';
    if (!Number.isSafeInteger(epochs) || epochs < 1) {
      throw new LearnerError(op, 'a positive integer', epochs, 'epochs');
    }
    if (this.data.train.length === 0) {
      throw new LearnerError(op, 'a training loader with at least one batch', 'an empty one', 'data.train');
    }
    const lrs = this.lrRange(lr, op);
    const wd = options.wd ?? this.wd;
    if (this.opt === null || !sameParams(this.#optParams, this.model.parameters())) {
      this.createOpt(lrs, wd);
    } else {
      this.opt.lr = lrs;
      this.opt.wd = wd;
    }
    const recorder = new Recorder(this, { addTime: this.addTime, silent: this.silent });
    this.recorder = recorder;
    // fastai shows a master bar in every fit; ours draws only on a terminal (stderr).
    const bar = this.progress && !this.silent ? [new ProgressBar(this)] : [];
    const fresh = this.callbackFns.map((fn) => fn(this));
    await fit(epochs, this, {
      metrics: this.metrics,
      callbacks: [...this.callbacks, recorder, ...bar, ...fresh, ...(options.callbacks ?? [])],
    });
  }

  /**
   * fastai's `fit_one_cycle`: `fit` with a OneCycleScheduler (lr from maxLr/divFactor up to maxLr over
   * pctStart of the iterations, then down to maxLr/finalDiv, cosine; momentum 0.95 → 0.85 → 0.95).
   */
  async fitOneCycle(cycLen: number, maxLr: Lr = DEFAULT_LR, options: FitOneCycleOptions = {}): Promise<void> {
    const op = 'Learner.fitOneCycle';
    const { wd, callbacks = [], ...schedule } = options;
    const lrMax = this.lrRange(maxLr, op);
    const scheduler = new OneCycleScheduler(this, lrMax.length === 1 ? lrMax[0]! : lrMax, schedule);
    await this.fit(cycLen, lrMax, { wd, callbacks: [...callbacks, scheduler] });
  }

  /** The validation loss and metrics (fastai's `Learner.validate`): `[validLoss, ...metrics]`. */
  validate(
    loader: BatchLoaderLike | null = this.data.valid ?? null,
    options: { callbacks?: readonly Callback[]; metrics?: readonly (Metric | Callback)[] } = {},
  ): (number | null)[] {
    const op = 'Learner.validate';
    if (!isLoader(loader) || loader.length === 0) {
      throw new LearnerError(op, 'a loader with at least one batch', loader, 'validation data');
    }
    const metrics = [...(options.metrics ?? this.metrics)];
    checkMetrics(op, metrics);
    const handler = new CallbackHandler([...this.callbacks, ...(options.callbacks ?? [])], metrics);
    let exception: unknown = false;
    try {
      handler.onTrainBegin(1);
      handler.onEpochBegin();
      handler.onEpochEnd(validate(this.model, loader, this.lossFunc, handler));
      return [...handler.state.lastMetrics];
    } catch (e) {
      exception = e;
      throw e;
    } finally {
      // fastai stops after on_epoch_end; ending the run lets a callback release what it set up.
      handler.onTrainEnd(exception);
    }
  }

  /** The activation getPreds applies by default: softmax for a cross-entropy loss, else none. */
  get activ(): ((output: Tensor) => Tensor) | null {
    return this.lossFunc === crossEntropyFlat || this.lossFunc === crossEntropy ? softmaxLast : null;
  }

  /**
   * Predictions and targets over a whole loader (fastai's `get_preds`), in eval mode without
   * gradients, through the callbacks' `onBatchBegin` and `onLossBegin`. The tensors are the caller's,
   * on the cpu whatever the data's device (as fastai's, detached to the cpu batch by batch).
   */
  getPreds(dsType: DatasetType = 'valid', options: PredsOptions = {}): [preds: Tensor, targets: Tensor] {
    const op = 'Learner.getPreds';
    if (dsType !== 'train' && dsType !== 'valid') {
      throw new LearnerError(op, "'train' or 'valid'", dsType, 'dsType');
    }
    const loader = (dsType === 'train' ? this.data.train : this.data.valid) ?? null;
    if (loader === null || loader.length === 0) {
      throw new LearnerError(op, 'a loader with at least one batch', loader, `data.${dsType}`);
    }
    const activ = options.activ === undefined ? this.activ : options.activ;
    const handler = new CallbackHandler([...this.callbacks]);
    const outs: Float32Array[] = [];
    const targets: Int32Array[] = [];
    let outShape: number[] = [];
    let targetShape: number[] = [];
    let rows = 0;
    this.model.eval();
    noGrad(() =>
      eachBatch(loader, (x, y) => {
        const [xb, yb] = handler.onBatchBegin(x, y, false);
        let out = handler.onLossBegin(this.model.forward(xb));
        if (activ !== null) out = activ(out);
        outs.push(out.float().data() as Float32Array);
        targets.push(yb.int().data() as Int32Array);
        outShape = out.shape.slice(1);
        targetShape = yb.shape.slice(1);
        rows += out.shape[0] ?? 1;
        return false;
      }),
    );
    return [
      tensor(concat(Float32Array, outs), { shape: [rows, ...outShape] }),
      tensor(concat(Int32Array, targets), { shape: [rows, ...targetShape] }),
    ];
  }

  /**
   * The prediction for one item (fastai's `predict`): x without its batch axis (e.g. [3, 28, 28]);
   * returns the arg-max class (its name when the data has class names), its index and the
   * probabilities (the outputs after `activ`). x moves to the data's device first, as fastai's
   * `one_item` batch does.
   */
  predict(x: Tensor): Prediction {
    const op = 'Learner.predict';
    if (!isTensor(x)) throw new LearnerError(op, 'a Tensor (one item, without the batch axis)', x, 'x');
    const handler = new CallbackHandler([...this.callbacks]);
    const activ = this.activ;
    this.model.eval();
    const probs = noGrad(() =>
      tidy(() => {
        const device = this.data.device ?? x.device;
        const item = x.device === device ? x.unsqueeze(0) : x.unsqueeze(0).to(device);
        const [xb] = handler.onBatchBegin(item, zeros([1], { dtype: 'int32', device }), false);
        let out = handler.onLossBegin(this.model.forward(xb));
        if (activ !== null) out = activ(out);
        return Array.from(out.float().data());
      }),
    );
    let index = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[index]!) index = i;
    const classes = this.data.classes;
    return { label: classes?.[index] ?? index, index, probs };
  }

  /**
   * Mixed precision (fastai's `to_fp16`): the model in fp16 (bf16 with `dtype: 'bfloat16'`) except batch
   * norm, inputs cast by a data transform, and a MixedPrecision callback; defaults as on fastai's page
   * (`dynamic: false`, loss scale 512). See @mantissa/fp16. Returns the learner.
   */
  toFp16(options: MixedPrecisionOptions = {}): this {
    return toFp16(this, options);
  }

  /** Back to fp32 (fastai's `to_fp32`), keeping the fp32 master weights. Returns the learner. */
  toFp32(): this {
    return toFp32(this);
  }

  /** The folder checkpoints go to: `path/modelDir`. */
  get modelPath(): string {
    return join(this.path, this.modelDir);
  }

  /**
   * Saves the model's state dict (`modelPath/name.safetensors`) and, with `withOpt` (default), the
   * optimizer's state and that of every callback with a `stateDict()` (MixedPrecision's loss scaler and
   * fp32 master weights); returns the model file. A failed or interrupted save leaves the previous
   * checkpoint of that name intact (see the README for the files).
   */
  save(name: string, options: { withOpt?: boolean } = {}): string {
    checkName('Learner.save', name);
    const opt = (options.withOpt ?? true) ? this.opt : null;
    return saveCheckpoint(this.modelPath, name, this.model, opt, statefulCallbacks(this.callbacks));
  }

  /**
   * Loads checkpoint `name` into the model and, with `withOpt` (default), the optimizer (created first
   * if there is none yet), so that training continues exactly where the saved run stood.
   */
  load(name: string, options: { withOpt?: boolean; strict?: boolean } = {}): this {
    checkName('Learner.load', name);
    loadCheckpoint(
      this.modelPath,
      name,
      this.model,
      () => {
        if (this.opt === null || !sameParams(this.#optParams, this.model.parameters())) this.createOpt();
        return this.opt!;
      },
      { withOpt: options.withOpt ?? true, strict: options.strict ?? true },
      statefulCallbacks(this.callbacks),
    );
    return this;
  }
}

function isLoader(v: unknown): v is BatchLoaderLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as BatchLoaderLike)[Symbol.iterator] === 'function' &&
    Number.isSafeInteger((v as BatchLoaderLike).length)
  );
}

function defaultLoss(hint: string | undefined): LossFunc {
  if (hint === 'crossEntropy' || hint === undefined) return crossEntropyFlat;
  throw new LearnerError('Learner', "a lossFunc option (the data's loss is unknown)", hint, 'data.lossFunc');
}

function checkName(op: string, name: unknown): void {
  if (typeof name !== 'string' || name === '' || /[/\\]/.test(name) || name.startsWith('.')) {
    throw new LearnerError(op, "a file name without '/' that does not start with '.'", name, 'name');
  }
}

function concat<T extends Float32Array | Int32Array>(Kind: { new (n: number): T }, parts: readonly T[]): T {
  const out = new Kind(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
