import { Callback, type LearnerLike, type LoopState } from '@mantissa/callbacks';
import type { Parameter } from '@mantissa/nn';
import { flattenModel, type LayerGroup, splitNoWdParams } from '@mantissa/optim';
import { DTYPES, type Tensor } from '@mantissa/tensor';
import { Fp16Error, Fp16OptionError, Fp16StateError } from './errors';
import { type AtMinScale, LossScaler, type LossScalerOptions, type LossScalerStateDict } from './loss-scaler';
import { MasterParams, type MasterParamsStateDict } from './master-params';
import { checkHalfDType, type HalfDType, toFloat, toHalf } from './policy';

export interface MixedPrecisionOptions {
  /** The (initial) loss scale; default 2**16 when dynamic, 512 when static (fastai's `loss_scale`). */
  lossScale?: number;
  /** Clean steps before a dynamic scale doubles (fastai's `max_noskip`); default 1000. */
  maxNoskip?: number;
  /** Dynamic loss scaling (fastai's `dynamic`); default true here, false through `toFp16` (the seed page). */
  dynamic?: boolean;
  /** Clip each parameter group's unscaled gradients to this L2 norm (fastai's `clip`); default none. */
  clip?: number | null;
  /** One flat fp32 buffer per parameter group (fastai's `flat_master`); default false. */
  flatMaster?: boolean;
  /** The dynamic scale never grows past this (fastai's `max_scale`); default 2**24. */
  maxScale?: number;
  /** Cast the model's output to fp32 before the loss (fastai's `loss_fp32`); default true. */
  lossFp32?: boolean;
  /** 'float16' (default) or 'bfloat16': bf16 runs with the loss scaler off. */
  dtype?: HalfDType;
  /** The floor of a dynamic scale; default 1. */
  minScale?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Overflows tolerated before backing off (DeepSpeed's); default 1 (back off at once). */
  hysteresis?: number;
  consecutiveHysteresis?: boolean;
  /** An overflow at the floor (or with a static scale, or in bf16): 'throw' (default) or keep 'skip'ping. */
  atMinScale?: AtMinScale;
  /** Warn when this many steps in a row were skipped for overflow; default 20. */
  stuckAfter?: number;
  /** Warn on every skipped step (default false). */
  verbose?: boolean;
  /** Where warnings go; default console.warn. */
  warn?: (message: string) => void;
}

/** A learner MixedPrecision can work with: the callbacks' LearnerLike, with optional layer groups. */
export interface MixedPrecisionLearner extends LearnerLike {
  /** fastai's layer groups (default: one group of every leaf module). */
  layerGroups?: readonly LayerGroup[];
}

export const MIXED_PRECISION_SCHEMA_VERSION = 1;

export interface MixedPrecisionStateDict {
  version: number;
  dtype: HalfDType;
  scaler: LossScalerStateDict;
  /** The fp32 master weights by parameter name (null before any were built). */
  masters: MasterParamsStateDict | null;
}

const KEYS = [
  'lossScale',
  'maxNoskip',
  'dynamic',
  'clip',
  'flatMaster',
  'maxScale',
  'lossFp32',
  'dtype',
  'minScale',
  'growthFactor',
  'backoffFactor',
  'hysteresis',
  'consecutiveHysteresis',
  'atMinScale',
  'stuckAfter',
  'verbose',
  'warn',
] as const;

interface ParamGroupLike {
  params: Tensor[];
}

function paramGroupsOf(opt: unknown): ParamGroupLike[] | null {
  const groups = (opt as { paramGroups?: unknown } | null)?.paramGroups;
  return Array.isArray(groups) && groups.every((g) => Array.isArray(g?.params)) ? groups : null;
}

const sameSet = (a: readonly Tensor[], b: readonly Tensor[]) =>
  a.length === b.length && a.every((p) => b.includes(p));

/**
 * fastai v1's `MixedPrecision` callback (order 999): the model computes in fp16 (or bf16), the optimizer
 * steps fp32 master copies of its parameters, and a loss scaler keeps small gradients from flushing to zero.
 *
 * Per batch: the inputs are cast to the model's dtype (`onBatchBegin`), the output to fp32 for the loss
 * (`onLossBegin`, with `lossFp32`), the loss is multiplied by the scale (`onBackwardBegin`), and after
 * backward the gradients are unscaled into the masters and checked for inf/NaN in one fused pass
 * (`onBackwardEnd`). An overflow skips the step for real (`skipStep`: no update, no weight decay, no
 * moment change; callbacks get `onStepSkipped`) and halves a dynamic scale. After a step the masters are
 * rounded into the model (`onStepEnd`).
 *
 * Unlike fastai v1, the masters and the optimizer's state carry over from one `fit` to the next, an
 * overflow at the floor throws (a LossScaleError naming the parameter) instead of stepping with inf/NaN,
 * and `stateDict()` / `loadStateDict()` save and restore the scaler and the masters with a checkpoint.
 * See the package README for every difference.
 */
export class MixedPrecision extends Callback {
  override order = 999;
  readonly learn: MixedPrecisionLearner;
  readonly scaler: LossScaler;
  readonly dtype: HalfDType;
  readonly clip: number | null;
  readonly flatMaster: boolean;
  readonly lossFp32: boolean;
  readonly stuckAfter: number;
  readonly verbose: boolean;
  #warn: (message: string) => void;
  #masters: MasterParams | null = null;
  #stepped = false;
  #warnedStreak = false;

  constructor(learn: MixedPrecisionLearner, options: MixedPrecisionOptions = {}) {
    super();
    const op = 'MixedPrecision';
    if (typeof learn !== 'object' || learn === null || typeof learn.model?.parameters !== 'function') {
      throw new Fp16OptionError(op, 'learn', 'a learner with a model', learn);
    }
    if (typeof options !== 'object' || options === null) {
      throw new Fp16OptionError(op, 'options', 'an object', options);
    }
    for (const k of Object.keys(options)) {
      if (!(KEYS as readonly string[]).includes(k)) {
        throw new Fp16OptionError(op, `option '${k}'`, `one of ${KEYS.join(', ')}`, k);
      }
    }
    const o = options;
    this.learn = learn;
    this.dtype = checkHalfDType(op, o.dtype ?? 'float16');
    if (
      o.lossScale !== undefined &&
      !(typeof o.lossScale === 'number' && o.lossScale > 0 && Number.isFinite(o.lossScale))
    ) {
      throw new Fp16OptionError(op, 'lossScale', 'a finite number > 0', o.lossScale);
    }
    if (o.maxNoskip !== undefined && !(Number.isSafeInteger(o.maxNoskip) && o.maxNoskip >= 1)) {
      throw new Fp16OptionError(op, 'maxNoskip', 'an integer >= 1', o.maxNoskip);
    }
    if (
      o.maxScale !== undefined &&
      !(typeof o.maxScale === 'number' && o.maxScale > 0 && Number.isFinite(o.maxScale))
    ) {
      throw new Fp16OptionError(op, 'maxScale', 'a finite number > 0', o.maxScale);
    }
    const clip = o.clip ?? null;
    if (clip !== null && !(typeof clip === 'number' && clip > 0 && Number.isFinite(clip))) {
      throw new Fp16OptionError(op, 'clip', 'a finite number > 0 or null', clip);
    }
    this.clip = clip;
    for (const k of ['flatMaster', 'lossFp32', 'verbose'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'boolean')
        throw new Fp16OptionError(op, k, 'a boolean', o[k]);
    }
    this.flatMaster = o.flatMaster ?? false;
    this.lossFp32 = o.lossFp32 ?? true;
    this.verbose = o.verbose ?? false;
    this.stuckAfter = o.stuckAfter ?? 20;
    if (!Number.isSafeInteger(this.stuckAfter) || this.stuckAfter < 1) {
      throw new Fp16OptionError(op, 'stuckAfter', 'an integer >= 1', o.stuckAfter);
    }
    if (o.warn !== undefined && typeof o.warn !== 'function') {
      throw new Fp16OptionError(op, 'warn', 'a function', o.warn);
    }
    this.#warn = o.warn ?? ((m) => console.warn(m));
    const scalerOptions: LossScalerOptions = {
      enabled: this.dtype === 'float16',
      dynamic: o.dynamic ?? true,
      initScale: o.lossScale,
      growthInterval: o.maxNoskip,
      maxScale: o.maxScale,
      minScale: o.minScale,
      growthFactor: o.growthFactor,
      backoffFactor: o.backoffFactor,
      hysteresis: o.hysteresis,
      consecutiveHysteresis: o.consecutiveHysteresis,
      atMinScale: o.atMinScale,
    };
    for (const k of Object.keys(scalerOptions) as (keyof LossScalerOptions)[]) {
      if (scalerOptions[k] === undefined) delete scalerOptions[k];
    }
    this.scaler = new LossScaler(scalerOptions);
  }

  /** The fp32 masters (built by `prepare()` or at the first `onTrainBegin`). */
  get masters(): MasterParams | null {
    return this.#masters;
  }

  /**
   * Builds the fp32 masters now, from the learner's optimizer groups if it has an optimizer over the
   * model's current parameters, else from its layer groups (fastai's `split_no_wd_params`). With
   * `flatMaster` the model's parameters are replaced by views into flat buffers, so call this (toFp16
   * does) before the learner creates its optimizer. Idempotent.
   */
  prepare(): MasterParams {
    if (this.#masters !== null) return this.#masters;
    const model = this.learn.model;
    const current = new Set<Tensor>(model.parameters());
    const optGroups = paramGroupsOf(this.learn.opt);
    const groups = optGroups?.every((g) => g.params.every((p) => current.has(p)))
      ? optGroups.map((g) => g.params as Parameter[])
      : splitNoWdParams(this.learn.layerGroups ?? [flattenModel(model)]);
    this.#masters = new MasterParams(model, groups, { flat: this.flatMaster });
    return this.#masters;
  }

  /**
   * fastai's on_train_begin: masters for the model, and the learner's optimizer re-pointed at them.
   * Without an optimizer (a learner's `validate()` before any fit runs this event too) there is nothing
   * to step, so only the masters are built.
   */
  override onTrainBegin(): void {
    const groups = paramGroupsOf(this.learn.opt);
    if (groups === null) {
      if (this.learn.opt !== null && this.learn.opt !== undefined) {
        throw new Fp16Error(
          'MixedPrecision.onTrainBegin',
          "expected the learner's optimizer to have parameter groups (an OptimWrapper or Optimizer)",
        );
      }
      this.prepare();
      return;
    }
    this.#attach(groups);
    // Someone wrote the model's weights (learn.load without our state, say): re-derive the masters, as
    // fastai did at every fit; otherwise keep their fp32 precision.
    if (!this.#masters!.inSyncWithModel()) this.#masters!.modelToMaster();
  }

  /** Points the optimizer's groups at the masters (rebuilding them if the groups changed). */
  #attach(groups: ParamGroupLike[]): void {
    let masters = this.prepare();
    const targets = masters.paramGroups;
    const pointed = () =>
      groups.length === targets.length && groups.every((g, i) => sameSet(g.params, targets[i]!));
    if (pointed()) return;
    const trainable = (ps: readonly Tensor[]) => ps.filter((p) => p.requiresGrad);
    const matches =
      groups.length === targets.length &&
      groups.every((g, i) => sameSet(trainable(g.params), masters.modelParams[i]!));
    if (!matches) {
      // Another grouping (or other parameters): build the masters from the optimizer's groups.
      const model = this.learn.model;
      const current = new Set<Tensor>(model.parameters());
      if (!groups.every((g) => g.params.every((p) => current.has(p)))) {
        throw new Fp16Error(
          'MixedPrecision',
          "expected the optimizer's parameters to be the model's (create the optimizer after modelToHalf)",
        );
      }
      const fresh = new MasterParams(
        model,
        groups.map((g) => g.params as Parameter[]),
        { flat: this.flatMaster },
      );
      masters.dispose();
      this.#masters = fresh;
      masters = fresh;
    }
    masters.paramGroups.forEach((params, i) => {
      groups[i]!.params = params;
    });
  }

  override onBatchBegin(s: LoopState): Partial<LoopState> | undefined {
    const x = s.lastInput;
    if (x === null || x.dtype === this.dtype || !DTYPES[x.dtype].isFloat) return undefined;
    return { lastInput: toHalf(x, this.dtype) };
  }

  override onLossBegin(s: LoopState): Partial<LoopState> | undefined {
    if (!this.lossFp32 || s.lastOutput === null) return undefined;
    return { lastOutput: toFloat(s.lastOutput) };
  }

  override onBackwardBegin(s: LoopState): Partial<LoopState> | undefined {
    this.#stepped = false;
    if (!this.scaler.enabled || s.lastLoss === null) return undefined;
    return { lastLoss: this.scaler.scaleLoss(s.lastLoss) };
  }

  override onBackwardEnd(): Partial<LoopState> | undefined {
    const masters = this.#masters;
    if (masters === null)
      throw new Fp16Error('MixedPrecision.onBackwardEnd', 'expected onTrainBegin to have run');
    const { foundInf, site } = masters.modelGradsToMaster(this.scaler);
    const r = this.scaler.update(foundInf, site);
    if (r.skipped) {
      this.#reportSkip(r.previousScale, r.scale, r.atFloor, site);
      return { skipStep: true };
    }
    this.#warnedStreak = false;
    if (this.clip !== null) masters.clipGradNorm(this.clip);
    this.#stepped = true;
    return undefined;
  }

  #reportSkip(
    previous: number,
    scale: number,
    atFloor: boolean,
    site: { name: string; index: number } | null,
  ): void {
    const where = site === null ? '' : ` (first non-finite gradient: '${site.name}' at index ${site.index})`;
    const n = this.scaler.consecutiveSkipped;
    if (this.verbose) {
      this.#warn(
        `MixedPrecision: gradient overflow at loss scale ${previous}${where}: step skipped, loss scale now ${scale}`,
      );
    }
    if (this.#warnedStreak) return;
    if (atFloor) {
      this.#warnedStreak = true;
      const why = !this.scaler.enabled
        ? `in ${this.dtype} (no loss scaling)`
        : this.scaler.dynamic
          ? `at the minimum loss scale ${scale}`
          : `with the static loss scale ${scale}`;
      this.#warn(
        `MixedPrecision: gradient overflow ${why}${where}: step skipped, and the next ones will be while it lasts`,
      );
    } else if (n >= this.stuckAfter) {
      this.#warnedStreak = true;
      this.#warn(
        `MixedPrecision: ${n} steps in a row skipped for gradient overflow, loss scale now ${scale}${where}. ` +
          'The model may have diverged (lower the learning rate, or clip), or fp16 cannot hold its values (try bfloat16).',
      );
    }
  }

  override onStepEnd(): undefined {
    const masters = this.#masters;
    if (masters === null) return undefined;
    if (this.#stepped) masters.masterToModel();
    masters.zeroModelGrads();
    this.#stepped = false;
    return undefined;
  }

  /** The scaler's state and the fp32 masters, for a checkpoint (see the README: the learner saves it). */
  stateDict(): MixedPrecisionStateDict {
    return {
      version: MIXED_PRECISION_SCHEMA_VERSION,
      dtype: this.dtype,
      scaler: this.scaler.stateDict(),
      masters: this.#masters?.stateDict() ?? null,
    };
  }

  /**
   * Restores `stateDict()`: the scaler's state, and the masters (rounded into the model); the learner's
   * optimizer, if it has one, is pointed at the masters, so its saved state can be loaded next.
   */
  loadStateDict(dict: MixedPrecisionStateDict): void {
    const op = 'MixedPrecision.loadStateDict';
    if (typeof dict !== 'object' || dict === null) throw new Fp16StateError(op, 'state', 'an object', dict);
    if (dict.version !== MIXED_PRECISION_SCHEMA_VERSION) {
      throw new Fp16StateError(op, 'version', MIXED_PRECISION_SCHEMA_VERSION, dict.version);
    }
    this.scaler.loadStateDict(dict.scaler);
    if (dict.masters !== null && dict.masters !== undefined) {
      const groups = paramGroupsOf(this.learn.opt);
      if (groups !== null) this.#attach(groups);
      this.prepare().loadStateDict(dict.masters);
    }
  }

  /** Frees the masters (the model keeps its parameters). */
  dispose(): void {
    this.#masters?.dispose();
    this.#masters = null;
  }
}
