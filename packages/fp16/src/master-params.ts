import { noGrad } from '@mantissa/autograd';
import { type Module, Parameter } from '@mantissa/nn';
import { DTYPES, type DType, isTensor, keep, type Tensor, tidy, zeros } from '@mantissa/tensor';
import { Fp16OptionError, Fp16StateError } from './errors';
import type { LossScaler, PairNames, ParamSpan, UnscaleResult } from './loss-scaler';

export interface MasterParamsOptions {
  /**
   * fastai's `flat_master`: each group's masters are one contiguous fp32 buffer (one Parameter for the
   * optimizer) with one contiguous fp32 gradient, and the model's parameters of each dtype in a group
   * become views into one contiguous buffer with one contiguous gradient. Default false.
   */
  flat?: boolean;
}

export const MASTER_SCHEMA_VERSION = 1;

export interface MasterParamsStateDict {
  version: number;
  flat: boolean;
  /** fp32 master weights by the model's parameter names (the same whether flat or not). */
  params: Record<string, Tensor>;
}

/** The model parameters of one dtype in a group, and where their masters sit in the group's flat buffer. */
interface Segment {
  dtype: DType;
  /** Offset in the group's flat master buffer. */
  offset: number;
  numel: number;
  /** Flat mode: the model's contiguous weight and gradient buffers for this segment. */
  weights: Tensor | null;
  grads: Tensor | null;
  spans: ParamSpan[];
}

interface Slot {
  name: string;
  model: Parameter;
  /** The fp32 master: a Parameter (not flat) or a view into the group's flat buffer. */
  master: Tensor;
  /** The master gradient's memory (never handed out as a `.grad` itself, only views of it). */
  masterGrad: Tensor;
  /** The model gradient's memory (a view into the segment's gradient buffer when flat). */
  modelGrad: Tensor;
}

interface Group {
  slots: Slot[];
  segments: Segment[];
  /** What the optimizer steps: [flat] when flat, else one master per parameter. */
  params: Parameter[];
  /** Flat: the group's master weights and gradient, [numel]. */
  flatWeights: Tensor | null;
  flatGrad: Tensor | null;
}

const isLowp = (d: DType) => DTYPES[d].isHalf;

/**
 * fp32 master copies of a model's trainable parameters, grouped like the optimizer's parameter groups
 * (fastai's `get_master`: a group per layer group × weight decay / no weight decay). The optimizer steps
 * the masters; the model, in fp16/bf16, only computes.
 *
 * Per step: `modelGradsToMaster(scaler)` unscales the model's gradients into the masters' and checks
 * them for inf/NaN (one fused native pass for up to 31 tensors, so one per group when flat); after the
 * optimizer's step, `masterToModel()` rounds the masters back into the model (one cast per group and
 * dtype when flat); `zeroModelGrads()` zeroes the model's gradients in place.
 *
 * The model's gradients exist before the first backward (zeros; views into one buffer when flat), and
 * autograd accumulates into them in place: never set them to null (`zeroModelGrads` zeroes them).
 */
export class MasterParams {
  readonly flat: boolean;
  readonly #groups: Group[];
  #disposed = false;

  /**
   * `groups`: the model parameters of each optimizer group (e.g. `splitNoWdParams(layerGroups)`); those
   * that do not require grad are left out, as fastai does. With `flat`, the model's parameters are
   * replaced (`module.setParameter`) by views into contiguous buffers: build optimizers after this.
   */
  constructor(model: Module, groups: readonly (readonly Parameter[])[], options: MasterParamsOptions = {}) {
    const op = 'MasterParams';
    if (typeof model !== 'object' || model === null || typeof model.namedParameters !== 'function') {
      throw new Fp16OptionError(op, 'model', 'a Module', model);
    }
    if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g))) {
      throw new Fp16OptionError(op, 'groups', 'an array of parameter arrays', groups);
    }
    const flat = options.flat ?? false;
    if (typeof flat !== 'boolean') throw new Fp16OptionError(op, 'flat', 'a boolean', flat);
    this.flat = flat;
    const names = new Map<Tensor, string>(model.namedParameters().map(([n, p]) => [p, n]));
    const seen = new Set<Tensor>();
    const trainable = groups.map((g, gi) =>
      g.filter((p: Parameter, pi) => {
        const name = names.get(p);
        if (name === undefined) {
          throw new Fp16OptionError(op, `groups[${gi}][${pi}]`, 'a parameter of the model', String(p));
        }
        if (seen.has(p)) throw new Fp16OptionError(op, `groups[${gi}][${pi}]`, 'in one group only', name);
        seen.add(p);
        if (!DTYPES[p.dtype].isFloat || p.dtype === 'float64') {
          throw new Fp16OptionError(op, `'${name}'`, 'float16, bfloat16 or float32', p.dtype);
        }
        return p.requiresGrad;
      }),
    );
    this.#groups = noGrad(() =>
      trainable.map((params) => (flat ? buildFlat(model, params, names) : buildPerParam(params, names))),
    );
  }

  /** What the optimizer steps, per group: `[flatMaster]` (flat) or one fp32 master per parameter. */
  get paramGroups(): Parameter[][] {
    return this.#groups.map((g) => [...g.params]);
  }

  /** Every master the optimizer steps, all groups together. */
  parameters(): Parameter[] {
    return this.#groups.flatMap((g) => g.params);
  }

  /** The model's parameters per group (after the flat replacement, when flat). */
  get modelParams(): Parameter[][] {
    return this.#groups.map((g) => g.slots.map((s) => s.model));
  }

  /** Per-parameter fp32 masters by model name (views into the flat buffers when flat). */
  namedMasters(): [string, Tensor][] {
    return this.#groups.flatMap((g) => g.slots.map((s): [string, Tensor] => [s.name, s.master]));
  }

  /** The fp32 master gradients by model name (unscaled after modelGradsToMaster). */
  namedMasterGrads(): [string, Tensor][] {
    return this.#groups.flatMap((g) => g.slots.map((s): [string, Tensor] => [s.name, s.masterGrad]));
  }

  /**
   * Makes sure the model's gradients are the tensors backward accumulates into here and the masters'
   * gradients are attached for the optimizer (`zeroGrad(setToNone)` on either detaches them; a foreign
   * model gradient is copied in first).
   */
  attachGrads(): void {
    this.#live('attachGrads');
    noGrad(() => {
      for (const g of this.#groups) {
        for (const s of g.slots) {
          const cur = s.model.grad;
          if (cur !== s.modelGrad) {
            if (cur !== null && !sameMemory(cur, s.modelGrad)) s.modelGrad.copy_(cur);
            if (cur === null || !sameMemory(cur, s.modelGrad)) s.model.grad = viewOf(s.modelGrad);
          }
        }
        if (this.flat) {
          const p = g.params[0];
          if (p !== undefined && (p.grad === null || !sameMemory(p.grad, g.flatGrad!)))
            p.grad = viewOf(g.flatGrad!);
        } else {
          g.slots.forEach((s, i) => {
            const p = g.params[i]!;
            if (p.grad === null || !sameMemory(p.grad, s.masterGrad)) p.grad = viewOf(s.masterGrad);
          });
        }
      }
    });
  }

  /**
   * model gradients / scale → master gradients, and the inf/NaN check: `scaler.unscaleAndCheck` over
   * one pair per group and dtype (flat) or per parameter, with the parameters' names for the report.
   */
  modelGradsToMaster(scaler: LossScaler): UnscaleResult {
    this.#live('modelGradsToMaster');
    this.attachGrads();
    return noGrad(() =>
      tidy(() => {
        const src: Tensor[] = [];
        const dst: Tensor[] = [];
        const names: PairNames[] = [];
        for (const g of this.#groups) {
          if (this.flat) {
            for (const seg of g.segments) {
              src.push(seg.grads!);
              dst.push(g.flatGrad!.narrow(0, seg.offset, seg.numel));
              names.push(seg.spans.map((s) => ({ ...s, offset: s.offset - seg.offset })));
            }
          } else {
            for (const s of g.slots) {
              src.push(s.modelGrad);
              dst.push(s.masterGrad);
              names.push(s.name);
            }
          }
        }
        return scaler.unscaleAndCheck(src, dst, names);
      }),
    );
  }

  /**
   * Clips each group's master gradients to a total L2 norm of `maxNorm` (PyTorch 1.13's
   * `clip_grad_norm_` per group, as fastai: coefficient maxNorm / (norm + 1e-6), at most 1). The norm
   * is taken over the parameters' gradients one by one, so it is the same whether flat or not.
   * Returns each group's norm before clipping.
   */
  clipGradNorm(maxNorm: number): number[] {
    const op = 'MasterParams.clipGradNorm';
    this.#live('clipGradNorm');
    if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) {
      throw new Fp16OptionError(op, 'maxNorm', 'a finite number > 0', maxNorm);
    }
    const f = Math.fround;
    return noGrad(() =>
      tidy(() =>
        this.#groups.map((g) => {
          if (g.slots.length === 0) return 0;
          let sq = 0;
          for (const s of g.slots) {
            const n = f(Math.sqrt(s.masterGrad.mul(s.masterGrad).sum().item() as number));
            sq = f(sq + f(n * n));
          }
          const norm = f(Math.sqrt(sq));
          const coef = f(maxNorm / f(norm + 1e-6));
          if (coef < 1) {
            if (this.flat) g.flatGrad!.mul_(coef);
            else for (const s of g.slots) s.masterGrad.mul_(coef);
          }
          return norm;
        }),
      ),
    );
  }

  /** Rounds the fp32 masters into the model's parameters (fastai's `master2model`). */
  masterToModel(): void {
    this.#live('masterToModel');
    noGrad(() =>
      tidy(() => {
        for (const g of this.#groups) {
          if (this.flat) {
            for (const seg of g.segments) seg.weights!.copy_(g.flatWeights!.narrow(0, seg.offset, seg.numel));
          } else {
            for (const s of g.slots) s.model.copy_(s.master);
          }
        }
      }),
    );
  }

  /** Re-derives the masters from the model's (half) weights, as fastai did at every fit. */
  modelToMaster(): void {
    this.#live('modelToMaster');
    noGrad(() =>
      tidy(() => {
        for (const g of this.#groups) {
          if (this.flat) {
            for (const seg of g.segments) g.flatWeights!.narrow(0, seg.offset, seg.numel).copy_(seg.weights!);
          } else {
            for (const s of g.slots) s.master.copy_(s.model);
          }
        }
      }),
    );
  }

  /** True when every model weight is its master rounded to the model's dtype (nothing wrote the model since). */
  inSyncWithModel(): boolean {
    this.#live('inSyncWithModel');
    return noGrad(() =>
      tidy(() => {
        for (const g of this.#groups) {
          for (const s of g.slots) {
            const rounded = s.master.to(s.model.dtype);
            const same = isLowp(s.model.dtype)
              ? equalArrays(rounded.bits(), s.model.bits())
              : equalArrays(new Uint32Array((rounded.data() as Float32Array).buffer), floatBits(s.model));
            if (!same) return false;
          }
        }
        return true;
      }),
    );
  }

  /** Zeroes the model's gradients in place (one fill per buffer when flat); they stay attached. */
  zeroModelGrads(): void {
    this.#live('zeroModelGrads');
    noGrad(() => {
      for (const g of this.#groups) {
        if (this.flat) for (const seg of g.segments) seg.grads!.fill_(0);
        else for (const s of g.slots) s.modelGrad.fill_(0);
      }
    });
  }

  /** The fp32 masters by the model's parameter names: loads into a flat or a per-parameter MasterParams alike. */
  stateDict(): MasterParamsStateDict {
    this.#live('stateDict');
    const params: Record<string, Tensor> = {};
    for (const [name, t] of this.namedMasters()) params[name] = t;
    return { version: MASTER_SCHEMA_VERSION, flat: this.flat, params };
  }

  /** Copies saved masters in (every name must match, shapes checked) and rounds them into the model. */
  loadStateDict(dict: MasterParamsStateDict): void {
    const op = 'MasterParams.loadStateDict';
    this.#live('loadStateDict');
    if (typeof dict !== 'object' || dict === null) throw new Fp16StateError(op, 'state', 'an object', dict);
    if (dict.version !== MASTER_SCHEMA_VERSION) {
      throw new Fp16StateError(op, 'version', MASTER_SCHEMA_VERSION, dict.version);
    }
    const given = dict.params ?? {};
    const mine = this.namedMasters();
    for (const [name, t] of mine) {
      const v = given[name];
      if (!isTensor(v)) throw new Fp16StateError(op, `params.${name}`, 'a Tensor', v);
      if (v.shape.join() !== t.shape.join()) throw new Fp16StateError(op, `params.${name}`, t.shape, v.shape);
    }
    const extra = Object.keys(given).filter((k) => !mine.some(([n]) => n === k));
    if (extra.length > 0) throw new Fp16StateError(op, 'params', 'only the masters of this model', extra);
    noGrad(() => {
      for (const [name, t] of mine) t.copy_(given[name]!);
    });
    this.masterToModel();
  }

  /** Frees the masters and their gradients (the model keeps its parameters and gradients). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const g of this.#groups) {
      for (const p of g.params) {
        p.grad = null;
        p.dispose();
      }
      for (const s of g.slots) {
        if (!s.master.isDisposed) s.master.dispose();
        s.masterGrad.dispose();
        s.modelGrad.dispose();
      }
      for (const seg of g.segments) {
        seg.weights?.dispose();
        seg.grads?.dispose();
      }
      g.flatWeights?.dispose();
      g.flatGrad?.dispose();
    }
  }

  #live(op: string): void {
    if (this.#disposed)
      throw new Fp16OptionError(`MasterParams.${op}`, 'this', 'live master params', 'disposed');
  }
}

function viewOf(t: Tensor): Tensor {
  return t.view(t.shape);
}

/** A view of n elements of a 1-D buffer from `offset`, shaped; it lives until disposed. */
function part(buffer: Tensor, offset: number, n: number, shape: readonly number[]): Tensor {
  return keep(tidy(() => buffer.narrow(0, offset, n).view(shape)));
}

function sameMemory(a: Tensor, b: Tensor): boolean {
  return (
    a.storage === b.storage &&
    a.offset === b.offset &&
    a.dtype === b.dtype &&
    a.shape.join() === b.shape.join() &&
    a.strides.join() === b.strides.join()
  );
}

function equalArrays(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function floatBits(t: Tensor): Uint32Array {
  return new Uint32Array((t.data() as Float32Array).buffer);
}

function buildPerParam(params: readonly Parameter[], names: Map<Tensor, string>): Group {
  const slots: Slot[] = params.map((p) => {
    const data = tidy(() => (p.dtype === 'float32' ? p.detach().clone() : p.float()));
    const master = new Parameter(data);
    data.dispose();
    const masterGrad = keep(zeros(p.shape, { device: p.device }));
    let modelGrad = p.grad;
    if (modelGrad === null) {
      modelGrad = zeros(p.shape, { dtype: p.dtype, device: p.device });
      p.grad = modelGrad;
    }
    // The slot keeps its own handle: the .grad itself may be replaced (and disposed) by the user.
    return { name: names.get(p)!, model: p, master, masterGrad, modelGrad: keep(viewOf(modelGrad)) };
  });
  const offsets: number[] = [];
  let at = 0;
  for (const s of slots) {
    offsets.push(at);
    at += s.model.numel;
  }
  const segments: Segment[] = slots.map((s, i) => ({
    dtype: s.model.dtype,
    offset: offsets[i]!,
    numel: s.model.numel,
    weights: null,
    grads: null,
    spans: [{ name: s.name, offset: offsets[i]!, numel: s.model.numel }],
  }));
  return {
    slots,
    segments,
    params: slots.map((s) => s.master as Parameter),
    flatWeights: null,
    flatGrad: null,
  };
}

function buildFlat(model: Module, params: readonly Parameter[], names: Map<Tensor, string>): Group {
  if (params.length === 0) {
    return { slots: [], segments: [], params: [], flatWeights: null, flatGrad: null };
  }
  // One segment per dtype, in order of first appearance; the masters keep that order in the flat buffer.
  const byDtype = new Map<DType, Parameter[]>();
  for (const p of params) {
    const list = byDtype.get(p.dtype) ?? [];
    list.push(p);
    byDtype.set(p.dtype, list);
  }
  // One buffer per group lives on one device: the model's (Module.to moves every parameter together).
  const device = params[0]!.device;
  const stray = params.find((p) => p.device !== device);
  if (stray !== undefined) {
    throw new Fp16OptionError(
      'MasterParams',
      `'${names.get(stray)}'`,
      `on ${device} like the rest of its group (flat)`,
      stray.device,
    );
  }
  const total = params.reduce((n, p) => n + p.numel, 0);
  const flatWeights = keep(zeros([total], { device }));
  const flatGrad = keep(zeros([total], { device }));
  const slots: Slot[] = [];
  const segments: Segment[] = [];
  let offset = 0;
  for (const [dtype, list] of byDtype) {
    const numel = list.reduce((n, p) => n + p.numel, 0);
    const weights = keep(zeros([numel], { dtype, device }));
    const grads = keep(zeros([numel], { dtype, device }));
    const spans: ParamSpan[] = [];
    let at = 0;
    for (const old of list) {
      const name = names.get(old)!;
      const n = old.numel;
      const w = part(weights, at, n, old.shape);
      w.copy_(old);
      const fresh = new Parameter(w, old.requiresGrad);
      w.dispose();
      const modelGrad = part(grads, at, n, old.shape);
      if (old.grad !== null) modelGrad.copy_(old.grad);
      model.setParameter(name, fresh);
      fresh.grad = viewOf(modelGrad);
      const master = part(flatWeights, offset + at, n, old.shape);
      master.copy_(fresh);
      const masterGrad = part(flatGrad, offset + at, n, old.shape);
      old.grad = null;
      old.dispose();
      slots.push({ name, model: fresh, master, masterGrad, modelGrad });
      spans.push({ name, offset: offset + at, numel: n });
      at += n;
    }
    segments.push({ dtype, offset, numel, weights, grads, spans });
    offset += numel;
  }
  const flatParam = new Parameter(flatWeights);
  flatParam.grad = viewOf(flatGrad);
  return { slots, segments, params: [flatParam], flatWeights, flatGrad };
}
