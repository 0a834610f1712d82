import { type Tensor, unscaleAndCheck } from '@mantissa/tensor';
import { Fp16OptionError, Fp16StateError, LossScaleError, type OverflowSite } from './errors';
import { firstNonFinite } from './overflow';

/** What to do on an overflow when the scale cannot go lower: throw a LossScaleError, or skip the step. */
export type AtMinScale = 'throw' | 'skip';

export interface LossScalerOptions {
  /** Off: the scale is 1 and never changes (bf16 needs no scaling); gradients are still checked. Default true. */
  enabled?: boolean;
  /** Halve on overflow and grow after `growthInterval` clean steps (default true); false: a fixed scale. */
  dynamic?: boolean;
  /** Default 2**16 when dynamic, 512 when static (fastai v1's). */
  initScale?: number;
  /** Clean steps before the scale grows (fastai's `maxNoskip`); default 1000. */
  growthInterval?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Growth stops here (fastai's `maxScale`); default 2**24. */
  maxScale?: number;
  /** The floor; default 1. */
  minScale?: number;
  /** Overflows before the scale backs off, as DeepSpeed's `hysteresis` (1 = back off at once); default 1. */
  hysteresis?: number;
  /** Every clean step restores the hysteresis (DeepSpeed's `consecutive_hysteresis`); default false. */
  consecutiveHysteresis?: boolean;
  /** An overflow the scale cannot back off from (at the floor, static, or disabled); default 'throw'. */
  atMinScale?: AtMinScale;
}

export type ResolvedLossScalerOptions = Readonly<Required<LossScalerOptions>>;

/** Which parameter a span of a (flat) gradient pair belongs to, for overflow reports. */
export interface ParamSpan {
  name: string;
  offset: number;
  numel: number;
}

/** The names of one pair's parameter: a name, or the spans of a flat buffer. */
export type PairNames = string | readonly ParamSpan[];

export interface UnscaleResult {
  /** Some gradient holds an inf or NaN (after unscaling). */
  foundInf: boolean;
  /** Per pair. */
  flags: boolean[];
  /** The first offending parameter and the flat index of its first non-finite element (overflow steps only). */
  site: OverflowSite | null;
}

export interface ScalerUpdate {
  /** The optimizer step must not run. */
  skipped: boolean;
  /** The scale before and after. */
  previousScale: number;
  scale: number;
  /** Overflow tolerated by hysteresis (no back-off). */
  tolerated: boolean;
  /** Overflow at the floor with atMinScale 'skip'. */
  atFloor: boolean;
}

export const SCALER_SCHEMA_VERSION = 1;

export interface LossScalerStateDict {
  version: number;
  scale: number;
  /** Clean steps since the last overflow or growth (fastai's `noskip`). */
  goodSteps: number;
  /** Overflows still tolerated before a back-off. */
  hysteresisLeft: number;
  steps: number;
  skipped: number;
  consecutiveSkipped: number;
  lastOverflowStep: number;
  options: ResolvedLossScalerOptions;
}

const KEYS = [
  'enabled',
  'dynamic',
  'initScale',
  'growthInterval',
  'growthFactor',
  'backoffFactor',
  'maxScale',
  'minScale',
  'hysteresis',
  'consecutiveHysteresis',
  'atMinScale',
] as const;

function positive(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
    throw new Fp16OptionError(op, name, 'a finite number > 0', v);
  }
  return v;
}

function count(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new Fp16OptionError(op, name, 'an integer >= 1', v);
  }
  return v;
}

function bool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Fp16OptionError(op, name, 'a boolean', v);
  return v;
}

/** Validates options and fills in the defaults. */
export function resolveScalerOptions(
  options: LossScalerOptions = {},
  op = 'LossScaler',
): ResolvedLossScalerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new Fp16OptionError(op, 'options', 'an object', options);
  }
  for (const k of Object.keys(options)) {
    if (!(KEYS as readonly string[]).includes(k)) {
      throw new Fp16OptionError(op, `option '${k}'`, `one of ${KEYS.join(', ')}`, k);
    }
  }
  const o = options;
  const enabled = bool(op, 'enabled', o.enabled ?? true);
  const dynamic = bool(op, 'dynamic', o.dynamic ?? true);
  const initScale = positive(op, 'initScale', o.initScale ?? (dynamic ? 2 ** 16 : 512));
  const growthInterval = count(op, 'growthInterval', o.growthInterval ?? 1000);
  const growthFactor = positive(op, 'growthFactor', o.growthFactor ?? 2);
  if (!(growthFactor > 1)) throw new Fp16OptionError(op, 'growthFactor', 'a number > 1', growthFactor);
  const backoffFactor = positive(op, 'backoffFactor', o.backoffFactor ?? 0.5);
  if (!(backoffFactor < 1))
    throw new Fp16OptionError(op, 'backoffFactor', 'a number in (0, 1)', backoffFactor);
  const maxScale = positive(op, 'maxScale', o.maxScale ?? 2 ** 24);
  const minScale = positive(op, 'minScale', o.minScale ?? 1);
  if (minScale > maxScale) {
    throw new Fp16OptionError(op, 'minScale', `at most maxScale (${maxScale})`, minScale);
  }
  if (enabled && dynamic && (initScale < minScale || initScale > maxScale)) {
    throw new Fp16OptionError(
      op,
      'initScale',
      `in [minScale, maxScale] = [${minScale}, ${maxScale}]`,
      initScale,
    );
  }
  const hysteresis = count(op, 'hysteresis', o.hysteresis ?? 1);
  const consecutiveHysteresis = bool(op, 'consecutiveHysteresis', o.consecutiveHysteresis ?? false);
  const atMinScale = o.atMinScale ?? 'throw';
  if (atMinScale !== 'throw' && atMinScale !== 'skip') {
    throw new Fp16OptionError(op, 'atMinScale', "'throw' or 'skip'", atMinScale);
  }
  return Object.freeze({
    enabled,
    dynamic,
    initScale,
    growthInterval,
    growthFactor,
    backoffFactor,
    maxScale,
    minScale,
    hysteresis,
    consecutiveHysteresis,
    atMinScale,
  });
}

/**
 * The loss scaler: multiplies the loss by `scale` so small fp16 gradients do not flush to zero, then
 * divides the gradients by it (into fp32) and checks them for inf/NaN in one fused native pass.
 *
 * Dynamic scaling follows fastai v1's `MixedPrecision` exactly: on an overflow the step is skipped and the
 * scale multiplied by `backoffFactor` (½); after `growthInterval` (fastai's `maxNoskip`) clean steps in a
 * row it is multiplied by `growthFactor` (2), up to `maxScale`. DeepSpeed's `hysteresis` can delay the
 * back-off. An overflow that cannot back off any further (at `minScale`, static scaling, or scaling
 * disabled) throws a LossScaleError by default instead of letting inf/NaN reach the weights.
 *
 * ```ts
 * const scaler = new LossScaler();
 * scaler.scaleLoss(loss).backward();
 * const { foundInf } = scaler.unscaleAndCheck(halfGrads, masterGrads);
 * if (!scaler.update(foundInf).skipped) opt.step();
 * ```
 */
export class LossScaler {
  readonly options: ResolvedLossScalerOptions;
  #scale: number;
  #goodSteps = 0;
  #hysteresisLeft: number;
  #steps = 0;
  #skipped = 0;
  #consecutiveSkipped = 0;
  #lastOverflowStep = -1;
  #lastSite: OverflowSite | null = null;

  constructor(options: LossScalerOptions = {}) {
    this.options = resolveScalerOptions(options);
    this.#scale = this.options.enabled ? this.options.initScale : 1;
    this.#hysteresisLeft = this.options.hysteresis;
  }

  /** The current loss scale (1 when disabled). */
  get scale(): number {
    return this.#scale;
  }
  get enabled(): boolean {
    return this.options.enabled;
  }
  get dynamic(): boolean {
    return this.options.dynamic;
  }
  /** update() calls: optimizer steps taken or skipped. */
  get steps(): number {
    return this.#steps;
  }
  /** Steps skipped for an overflow. */
  get skipped(): number {
    return this.#skipped;
  }
  /** Skipped steps in a row, up to now. */
  get consecutiveSkipped(): number {
    return this.#consecutiveSkipped;
  }
  /** Clean steps since the last overflow or growth (fastai's `noskip`). */
  get goodSteps(): number {
    return this.#goodSteps;
  }
  get hysteresisLeft(): number {
    return this.#hysteresisLeft;
  }
  /** The step index of the last overflow (-1: none yet). */
  get lastOverflowStep(): number {
    return this.#lastOverflowStep;
  }
  /** Where the last overflow seen by unscaleAndCheck started. */
  get lastSite(): OverflowSite | null {
    return this.#lastSite;
  }

  /** loss × scale (fastai's `last_loss * loss_scale`), a new tensor in the graph. */
  scaleLoss(loss: Tensor): Tensor {
    return loss.mul(this.#scale);
  }

  /**
   * dst[i] = grads[i] / scale (into `masterGrads[i]`, or in place when omitted) and the inf/NaN check,
   * in one native pass per 31 pairs with no per-tensor host round-trip. On an overflow, also finds the
   * first offending parameter (by `names`) and the flat index of its first non-finite element.
   */
  unscaleAndCheck(
    grads: readonly Tensor[],
    masterGrads: readonly Tensor[] = grads,
    names?: readonly PairNames[],
  ): UnscaleResult {
    const op = 'LossScaler.unscaleAndCheck';
    if (names !== undefined && names.length !== grads.length) {
      throw new Fp16OptionError(op, 'names', `${grads.length} entries (one per gradient)`, names.length);
    }
    const flags = unscaleAndCheck(grads, masterGrads, 1 / this.#scale);
    const pair = flags.indexOf(true);
    let site: OverflowSite | null = null;
    if (pair >= 0) {
      const index = firstNonFinite(masterGrads[pair]!);
      site = locate(names?.[pair] ?? `gradient ${pair}`, index);
    }
    this.#lastSite = site;
    return { foundInf: pair >= 0, flags, site };
  }

  /**
   * Records one step's outcome and moves the scale (fastai's rule, with hysteresis and the floor).
   * Throws a LossScaleError on an overflow that cannot back off, unless `atMinScale` is 'skip'.
   */
  update(foundInf: boolean, site: OverflowSite | null = this.#lastSite): ScalerUpdate {
    if (typeof foundInf !== 'boolean') {
      throw new Fp16OptionError('LossScaler.update', 'foundInf', 'a boolean', foundInf);
    }
    const o = this.options;
    const previousScale = this.#scale;
    this.#steps++;
    const result = {
      skipped: foundInf,
      previousScale,
      scale: previousScale,
      tolerated: false,
      atFloor: false,
    };
    if (!foundInf) {
      this.#consecutiveSkipped = 0;
      if (!o.enabled || !o.dynamic) return result;
      this.#goodSteps++;
      if (o.consecutiveHysteresis) this.#hysteresisLeft = o.hysteresis;
      if (this.#goodSteps >= o.growthInterval) {
        if (!o.consecutiveHysteresis) this.#hysteresisLeft = o.hysteresis;
        if (this.#scale < o.maxScale) {
          this.#scale = Math.min(this.#scale * o.growthFactor, o.maxScale);
          this.#goodSteps = 0;
        }
      }
      result.scale = this.#scale;
      return result;
    }
    this.#skipped++;
    this.#consecutiveSkipped++;
    this.#lastOverflowStep = this.#steps - 1;
    this.#goodSteps = 0;
    if (o.enabled && o.dynamic && this.#hysteresisLeft > 1) {
      this.#hysteresisLeft--;
      result.tolerated = true;
      return result;
    }
    if (!o.enabled || !o.dynamic || this.#scale <= o.minScale) {
      if (o.atMinScale === 'throw') {
        throw new LossScaleError('LossScaler.update', this.#scale, o.enabled ? o.minScale : 1, site);
      }
      result.atFloor = true;
      return result;
    }
    this.#scale = Math.max(this.#scale * o.backoffFactor, o.minScale);
    result.scale = this.#scale;
    return result;
  }

  /** Everything needed to resume exactly: scale, counters, and the options that produced them. */
  stateDict(): LossScalerStateDict {
    return {
      version: SCALER_SCHEMA_VERSION,
      scale: this.#scale,
      goodSteps: this.#goodSteps,
      hysteresisLeft: this.#hysteresisLeft,
      steps: this.#steps,
      skipped: this.#skipped,
      consecutiveSkipped: this.#consecutiveSkipped,
      lastOverflowStep: this.#lastOverflowStep,
      options: { ...this.options },
    };
  }

  /**
   * Restores a state dict from `stateDict()`. The counters always load; the scale loads into a dynamic
   * scaler (a static one keeps its fixed scale, a disabled one stays at 1). This scaler keeps its options.
   */
  loadStateDict(dict: LossScalerStateDict): void {
    const op = 'LossScaler.loadStateDict';
    if (typeof dict !== 'object' || dict === null) throw new Fp16StateError(op, 'state', 'an object', dict);
    if (dict.version !== SCALER_SCHEMA_VERSION) {
      throw new Fp16StateError(op, 'version', SCALER_SCHEMA_VERSION, dict.version);
    }
    const num = (k: keyof LossScalerStateDict, min: number, integer = true): number => {
      const v = dict[k];
      if (typeof v !== 'number' || !(integer ? Number.isSafeInteger(v) : Number.isFinite(v)) || v < min) {
        throw new Fp16StateError(op, k, integer ? `an integer >= ${min}` : 'a finite number > 0', v);
      }
      return v;
    };
    const scale = num('scale', Number.MIN_VALUE, false);
    const state = {
      goodSteps: num('goodSteps', 0),
      hysteresisLeft: num('hysteresisLeft', 1),
      steps: num('steps', 0),
      skipped: num('skipped', 0),
      consecutiveSkipped: num('consecutiveSkipped', 0),
      lastOverflowStep: num('lastOverflowStep', -1),
    };
    if (this.options.enabled && this.options.dynamic) this.#scale = scale;
    this.#goodSteps = state.goodSteps;
    this.#hysteresisLeft = Math.min(state.hysteresisLeft, this.options.hysteresis);
    this.#steps = state.steps;
    this.#skipped = state.skipped;
    this.#consecutiveSkipped = state.consecutiveSkipped;
    this.#lastOverflowStep = state.lastOverflowStep;
  }
}

function locate(names: PairNames, index: number): OverflowSite {
  if (typeof names === 'string') return { name: names, index };
  for (const s of names) {
    if (index >= s.offset && index < s.offset + s.numel) return { name: s.name, index: index - s.offset };
  }
  return { name: 'flat buffer', index };
}
