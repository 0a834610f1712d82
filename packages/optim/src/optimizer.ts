import { noGrad } from '@mantissa/autograd';
import { isTensor, keep, type Tensor, zeros } from '@mantissa/tensor';
import { OptimError } from './errors';

/** A parameter group: its parameters and its own values of the optimizer's hyper-parameters. */
export type ParamGroup<H> = H & { params: Tensor[] };

/** What an optimizer is built from: parameters, or groups of parameters with per-group overrides. */
export type ParamsOrGroups<H> = Iterable<Tensor> | readonly (Partial<H> & { params: Iterable<Tensor> })[];

/** Per-parameter state: moment buffers (tensors) and counters (numbers). */
export type ParamState = Record<string, Tensor | number>;

/**
 * The serialisable state of an optimizer, as PyTorch's: parameters are referred to by their index in
 * group order, so the dict can be loaded into an optimizer built over other (equally shaped) tensors.
 */
export interface OptimizerStateDict<H> {
  state: Record<number, ParamState>;
  paramGroups: (H & { params: number[] })[];
}

/**
 * The base of SGD, Adam and AdamW: parameter groups with per-group hyper-parameters and lazily created
 * per-parameter state. `step()` runs one fused native update per parameter (for a flat master buffer:
 * one per group) under `noGrad`; parameters without a gradient are left alone, as in PyTorch.
 */
export abstract class Optimizer<H extends object> {
  readonly paramGroups: ParamGroup<H>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  readonly defaults: Readonly<H>;

  constructor(params: ParamsOrGroups<H>, defaults: H) {
    this.defaults = Object.freeze({ ...defaults });
    for (const g of toGroups(params)) this.addParamGroup(g);
    if (this.paramGroups.every((g) => g.params.length === 0)) {
      throw new OptimError(new.target.name, 'at least one parameter', 'an empty parameter list', 'params');
    }
  }

  /** Adds a group; hyper-parameters it does not set come from the defaults. */
  addParamGroup(group: Partial<H> & { params: Iterable<Tensor> }): void {
    const op = `${this.constructor.name}.addParamGroup`;
    const params = [...group.params];
    params.forEach((p, i) => {
      if (!isTensor(p)) throw new OptimError(op, 'a Tensor', typeof p, `params[${i}]`);
      if (!['float32', 'float16', 'bfloat16', 'float64'].includes(p.dtype)) {
        throw new OptimError(op, 'a float tensor', p.dtype, `params[${i}] dtype`);
      }
      for (const g of this.paramGroups) {
        if (g.params.includes(p))
          throw new OptimError(op, 'each parameter in one group', 'a repeated parameter', `params[${i}]`);
      }
    });
    const merged = { ...this.defaults, ...group, params } as ParamGroup<H>;
    this.checkGroup(op, merged);
    this.paramGroups.push(merged);
  }

  /** Validates a group's hyper-parameters (called on construction and before every step). */
  protected abstract checkGroup(op: string, group: ParamGroup<H>): void;

  /** Updates one parameter that has a gradient. */
  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup<H>, state: ParamState): void;

  /** One optimisation step over every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        this.checkGroup(`${this.constructor.name}.step`, group);
        for (const p of group.params) {
          const grad = p.grad;
          if (grad === null || grad === undefined) continue;
          let st = this.state.get(p);
          if (st === undefined) {
            st = {};
            this.state.set(p, st);
          }
          this.update(p, grad, group, st);
        }
      }
    });
  }

  /** Clears (default, as PyTorch 2) or zeroes the gradient of every parameter. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad;
        if (grad === null || grad === undefined) continue;
        if (setToNone) {
          p.grad = null;
        } else {
          noGrad(() => grad.fill_(0));
        }
      }
    }
  }

  /** A state buffer shaped like the parameter, created on first use and kept out of tidy scopes. */
  protected buffer(st: ParamState, key: string, param: Tensor): { tensor: Tensor; isNew: boolean } {
    const existing = st[key];
    if (isTensor(existing)) return { tensor: existing, isNew: false };
    const tensor = keep(zeros(param.shape, { dtype: param.dtype, device: param.device }));
    st[key] = tensor;
    return { tensor, isNew: true };
  }

  stateDict(): OptimizerStateDict<H> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const ids = g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...g, params: ids } as H & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...st };
    }
    return { state, paramGroups };
  }

  /**
   * Loads a state dict made by `stateDict()` of an optimizer with the same group sizes: hyper-parameters
   * are replaced and state tensors are copied (shape and dtype checked) into fresh tensors.
   */
  loadStateDict(dict: OptimizerStateDict<H>): void {
    const op = `${this.constructor.name}.loadStateDict`;
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.paramGroups)) {
      throw new OptimError(op, '{ state, paramGroups }', dict, 'state dict');
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new OptimError(
        op,
        this.paramGroups.length,
        dict.paramGroups.length,
        'number of parameter groups',
      );
    }
    const params: Tensor[] = [];
    dict.paramGroups.forEach((g, i) => {
      const mine = this.paramGroups[i]!;
      if (!Array.isArray(g.params) || g.params.length !== mine.params.length) {
        throw new OptimError(op, mine.params.length, g.params?.length, `number of parameters in group ${i}`);
      }
      params.push(...mine.params);
    });
    const loaded = new Map<Tensor, ParamState>();
    for (const [key, st] of Object.entries(dict.state ?? {})) {
      const p = params[Number(key)];
      if (p === undefined)
        throw new OptimError(op, `a parameter index below ${params.length}`, key, 'state key');
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(st)) {
        if (isTensor(v)) {
          if (v.shape.join() !== p.shape.join()) {
            throw new OptimError(op, p.shape, v.shape, `shape of state '${k}' of parameter ${key}`);
          }
          copy[k] = keep(v.to({ dtype: p.dtype, device: p.device }).clone());
        } else if (typeof v === 'number') {
          copy[k] = v;
        } else {
          throw new OptimError(op, 'a tensor or a number', typeof v, `state '${k}' of parameter ${key}`);
        }
      }
      loaded.set(p, copy);
    }
    dict.paramGroups.forEach((g, i) => {
      const { params: _ids, ...hyper } = g;
      const next = {
        ...this.paramGroups[i]!,
        ...hyper,
        params: this.paramGroups[i]!.params,
      } as ParamGroup<H>;
      this.checkGroup(op, next);
      this.paramGroups[i] = next;
    });
    this.disposeState();
    for (const [p, st] of loaded) this.state.set(p, st);
  }

  /** Frees the state tensors (moment buffers). */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (isTensor(v)) v.dispose();
    this.state.clear();
  }
}

function toGroups<H>(params: ParamsOrGroups<H>): (Partial<H> & { params: Iterable<Tensor> })[] {
  if (isTensor(params))
    throw new OptimError('Optimizer', 'an iterable of tensors', 'a single Tensor', 'params');
  const list = [...(params as Iterable<unknown>)];
  if (
    list.length > 0 &&
    !isTensor(list[0]) &&
    typeof list[0] === 'object' &&
    list[0] !== null &&
    'params' in list[0]
  ) {
    return list as (Partial<H> & { params: Iterable<Tensor> })[];
  }
  return [{ params: list as Tensor[] } as unknown as Partial<H> & { params: Iterable<Tensor> }];
}

/** @internal A finite number in [min, max] (used by the optimizers' group checks). */
export function checkHyper(
  op: string,
  name: string,
  v: unknown,
  min: number,
  max = Number.POSITIVE_INFINITY,
): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new OptimError(op, `a finite number in [${min}, ${max}]`, v, name);
  }
}
