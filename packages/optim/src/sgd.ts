import { sgdStep_, type Tensor } from '@mantissa/tensor';
import { OptimError } from './errors';
import { checkHyper, Optimizer, type ParamGroup, type ParamState, type ParamsOrGroups } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** Weight decay as param *= 1 - lr * wd before the step (fastai's true weight decay) instead of L2. */
  decoupledWeightDecay: boolean;
}

/**
 * Stochastic gradient descent with PyTorch's semantics (momentum buffer set to the first gradient,
 * dampening, Nesterov, L2 weight decay), each parameter updated by one fused native pass.
 *
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsOrGroups<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, {
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      decoupledWeightDecay: false,
      ...options,
    });
  }

  protected checkGroup(op: string, g: ParamGroup<SGDOptions>): void {
    checkHyper(op, 'lr', g.lr, 0);
    checkHyper(op, 'momentum', g.momentum, 0);
    checkHyper(op, 'dampening', g.dampening, Number.NEGATIVE_INFINITY);
    checkHyper(op, 'weightDecay', g.weightDecay, 0);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new OptimError(
        op,
        'momentum > 0 and dampening 0',
        { momentum: g.momentum, dampening: g.dampening },
        'nesterov',
      );
    }
  }

  protected update(param: Tensor, grad: Tensor, g: ParamGroup<SGDOptions>, st: ParamState): void {
    const options = {
      lr: g.lr,
      momentum: g.momentum,
      dampening: g.dampening,
      weightDecay: g.weightDecay,
      nesterov: g.nesterov,
      maximize: g.maximize,
      decoupledWeightDecay: g.decoupledWeightDecay,
    };
    if (g.momentum === 0) {
      sgdStep_(param, grad, null, options);
      return;
    }
    const { tensor, isNew } = this.buffer(st, 'momentumBuffer', param);
    sgdStep_(param, grad, tensor, { ...options, bufferIsNew: isNew });
  }
}
