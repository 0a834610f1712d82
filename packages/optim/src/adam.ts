import { adamStep_, type Tensor } from '@mantissa/tensor';
import { OptimError } from './errors';
import { checkHyper, Optimizer, type ParamGroup, type ParamState, type ParamsOrGroups } from './optimizer';

export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
  /** AdamW's weight decay (param *= 1 - lr * wd before the update) instead of Adam's L2 term. */
  decoupledWeightDecay: boolean;
}

/**
 * Adam with PyTorch's semantics (bias-corrected moments, `eps` outside the square root, L2 weight decay
 * added to the gradient); state per parameter: `step`, `expAvg`, `expAvgSq`. One fused native pass per
 * parameter.
 *
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsOrGroups<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      maximize: false,
      decoupledWeightDecay: false,
      ...options,
    });
  }

  protected checkGroup(op: string, g: ParamGroup<AdamOptions>): void {
    checkHyper(op, 'lr', g.lr, 0);
    if (!Array.isArray(g.betas) || g.betas.length !== 2)
      throw new OptimError(op, '[beta1, beta2]', g.betas, 'betas');
    checkHyper(op, 'betas[0]', g.betas[0], 0, 1 - 2 ** -53);
    checkHyper(op, 'betas[1]', g.betas[1], 0, 1 - 2 ** -53);
    checkHyper(op, 'eps', g.eps, 0);
    checkHyper(op, 'weightDecay', g.weightDecay, 0);
  }

  protected update(param: Tensor, grad: Tensor, g: ParamGroup<AdamOptions>, st: ParamState): void {
    const m = this.buffer(st, 'expAvg', param).tensor;
    const v = this.buffer(st, 'expAvgSq', param).tensor;
    const step = ((st.step as number | undefined) ?? 0) + 1;
    adamStep_(param, grad, m, v, {
      lr: g.lr,
      beta1: g.betas[0],
      beta2: g.betas[1],
      eps: g.eps,
      weightDecay: g.weightDecay,
      decoupledWeightDecay: g.decoupledWeightDecay,
      maximize: g.maximize,
      step,
    });
    st.step = step;
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch's defaults (weightDecay 1e-2).
 * fastai's default optimizer is `AdamW` with betas (0.9, 0.99) through its OptimWrapper.
 */
export class AdamW extends Adam {
  constructor(params: ParamsOrGroups<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options, decoupledWeightDecay: true });
  }
}
