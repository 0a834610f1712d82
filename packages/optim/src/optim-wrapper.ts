import type { Tensor } from '@mantissa/tensor';
import { OptimError } from './errors';
import type { Optimizer, OptimizerStateDict } from './optimizer';
import { type LayerGroup, splitNoWdParams } from './split-params';

/** Builds the inner optimizer from parameter groups (fastai's `opt_func`). */
export type OptFunc = (groups: { params: Tensor[]; lr: number }[]) => Optimizer<object>;

export interface OptimWrapperOptions {
  /** Weight decay per layer group (a number applies to all). */
  wd?: number | readonly number[];
  /** Decoupled weight decay (param *= 1 - lr * wd before the update) instead of an L2 term. */
  trueWd?: boolean;
  /** Whether batch-norm parameters and biases are decayed too. */
  bnWd?: boolean;
}

export interface OptimWrapperStateDict {
  opt: OptimizerStateDict<object>;
  lr: number[];
  mom: number[];
  beta: number[] | null;
  wd: number[];
  trueWd: boolean;
  bnWd: boolean;
}

type Group = Record<string, unknown> & { params: Tensor[] };

/**
 * fastai v1's OptimWrapper: an optimizer whose parameter groups come in pairs per layer group
 * (weight-decay params, then batch-norm params and biases), with `lr`, `mom`, `beta` and `wd` read and
 * written per layer group. `mom` is Adam's beta1 or SGD's momentum and `beta` Adam's beta2. With
 * `trueWd` the decay is decoupled and applied inside the same fused pass as the update (fastai ran
 * `p.mul_(1 - wd * lr)` before `opt.step()`: the same arithmetic), to the no-decay groups only if `bnWd`.
 *
 * ```ts
 * const opt = OptimWrapper.create((g) => new Adam(g, { betas: [0.9, 0.99] }), 3e-3, [flattenModel(model)], {
 *   wd: 1e-2, trueWd: true, bnWd: true,
 * });
 * opt.lr = 1e-3; opt.mom = 0.9;
 * ```
 */
export class OptimWrapper {
  readonly trueWd: boolean;
  readonly bnWd: boolean;
  #lr: number[];
  #mom: number[];
  #beta: number[] | null;
  #wd: number[];

  constructor(
    readonly opt: Optimizer<object>,
    options: OptimWrapperOptions = {},
  ) {
    const op = 'OptimWrapper';
    const n = opt.paramGroups.length;
    if (n % 2 !== 0)
      throw new OptimError(op, 'an even number of parameter groups (wd, no-wd pairs)', n, 'groups');
    this.trueWd = options.trueWd ?? false;
    this.bnWd = options.bnWd ?? true;
    const layer = this.#layerGroups();
    this.#lr = layer.map((g) => g.lr as number);
    this.#mom = layer.map((g) => (hasBetas(g) ? (g.betas as number[])[0]! : ((g.momentum as number) ?? 0)));
    this.#beta = hasBetas(layer[0]!) ? layer.map((g) => (g.betas as number[])[1]!) : null;
    this.#wd = layer.map((g) => (g.weightDecay as number) ?? 0);
    this.wd = options.wd ?? this.#wd;
  }

  /** Splits the layer groups' parameters (fastai's split_no_wd_params) and builds the optimizer on them. */
  static create(
    optFunc: OptFunc,
    lr: number | readonly number[],
    layerGroups: readonly LayerGroup[],
    options: OptimWrapperOptions = {},
  ): OptimWrapper {
    const groups = splitNoWdParams(layerGroups).map((params) => ({ params: params as Tensor[], lr: 0 }));
    const w = new OptimWrapper(optFunc(groups), options);
    w.lr = typeof lr === 'number' ? lr : [...lr];
    return w;
  }

  get paramGroups(): Group[] {
    return this.opt.paramGroups as Group[];
  }

  /** The last layer group's learning rate; set a number for all or one per layer group. */
  get lr(): number {
    return this.#lr.at(-1)!;
  }
  set lr(v: number | readonly number[]) {
    this.#lr = this.#set('lr', v, this.#lr);
  }

  get mom(): number {
    return this.#mom.at(-1)!;
  }
  set mom(v: number | readonly number[]) {
    const vals = this.#listify('mom', v);
    if (this.#beta !== null) {
      this.#setEach(
        'betas',
        vals.map((m, i) => [m, this.#beta![i]!]),
      );
    } else {
      this.#setEach('momentum', vals);
    }
    this.#mom = vals;
  }

  /** Adam's beta2; null for an optimizer without one. */
  get beta(): number | null {
    return this.#beta === null ? null : this.#beta.at(-1)!;
  }
  set beta(v: number | readonly number[]) {
    if (this.#beta === null)
      throw new OptimError('OptimWrapper.beta', 'an optimizer with betas', 'none', 'beta');
    const vals = this.#listify('beta', v);
    this.#setEach(
      'betas',
      vals.map((b, i) => [this.#mom[i]!, b]),
    );
    this.#beta = vals;
  }

  get wd(): number {
    return this.#wd.at(-1)!;
  }
  set wd(v: number | readonly number[]) {
    const vals = this.#listify('wd', v);
    vals.forEach((w, i) => {
      if (!(w >= 0) || !Number.isFinite(w))
        throw new OptimError('OptimWrapper.wd', 'a finite number >= 0', w, `wd[${i}]`);
    });
    this.#wd = vals;
    const groups = this.paramGroups;
    vals.forEach((w, i) => {
      const [decayed, other] = [groups[2 * i]!, groups[2 * i + 1]!];
      decayed.weightDecay = w;
      decayed.decoupledWeightDecay = this.trueWd;
      other.weightDecay = this.bnWd ? w : 0;
      other.decoupledWeightDecay = this.trueWd;
    });
  }

  step(): void {
    this.opt.step();
  }

  zeroGrad(setToNone = true): void {
    this.opt.zeroGrad(setToNone);
  }

  stateDict(): OptimWrapperStateDict {
    return {
      opt: this.opt.stateDict(),
      lr: [...this.#lr],
      mom: [...this.#mom],
      beta: this.#beta === null ? null : [...this.#beta],
      wd: [...this.#wd],
      trueWd: this.trueWd,
      bnWd: this.bnWd,
    };
  }

  loadStateDict(dict: OptimWrapperStateDict): void {
    const op = 'OptimWrapper.loadStateDict';
    if (dict?.trueWd !== this.trueWd || dict?.bnWd !== this.bnWd) {
      throw new OptimError(
        op,
        { trueWd: this.trueWd, bnWd: this.bnWd },
        { trueWd: dict?.trueWd, bnWd: dict?.bnWd },
        'weight-decay mode',
      );
    }
    this.opt.loadStateDict(dict.opt);
    this.lr = dict.lr;
    this.mom = dict.mom;
    if (dict.beta !== null) this.beta = dict.beta;
    this.wd = dict.wd;
  }

  dispose(): void {
    this.opt.dispose();
  }

  #layerGroups(): Group[] {
    return this.paramGroups.filter((_, i) => i % 2 === 0);
  }

  #listify(name: string, v: number | readonly number[]): number[] {
    const n = this.paramGroups.length / 2;
    const vals = typeof v === 'number' ? Array<number>(n).fill(v) : [...v];
    if (vals.length !== n || vals.some((x) => typeof x !== 'number')) {
      throw new OptimError(`OptimWrapper.${name}`, `a number or ${n} numbers (one per layer group)`, v, name);
    }
    return vals;
  }

  #set(key: string, v: number | readonly number[], _old: number[]): number[] {
    const vals = this.#listify(key, v);
    this.#setEach(key, vals);
    return vals;
  }

  #setEach(key: string, vals: readonly unknown[]): void {
    const groups = this.paramGroups;
    vals.forEach((v, i) => {
      groups[2 * i]![key] = v;
      groups[2 * i + 1]![key] = v;
    });
  }
}

function hasBetas(g: Group): boolean {
  return Array.isArray(g.betas);
}
