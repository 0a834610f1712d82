import { linear, type Tensor, zeros } from '@mantissa/tensor';
import { fmtValue } from '../errors';
import { kaimingUniform_, uniform_ } from '../init';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { checkInput, LayerInputError } from './input-error';
import { adopt, checkBool, checkInt } from './shared';

/**
 * y = x·Wᵀ + b over the last dim, as torch.nn.Linear, with its default initialisation:
 * W ~ kaiming_uniform(a = √5), i.e. U(±1/√in), and b ~ U(±1/√in).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, bias = true) {
    super();
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures);
    this.weight = adopt(zeros([outFeatures, inFeatures]));
    this.bias = checkBool('Linear', 'bias', bias) ? adopt(zeros([outFeatures])) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    const t = checkInput(this, x, [1, 2, 3, 4, 5, 6, 7, 8], '(*, in_features)');
    if (t.shape.at(-1) !== this.inFeatures) {
      throw new LayerInputError(
        this.toString(),
        this.inFeatures,
        `${t.shape.at(-1)} (input shape ${fmtValue(t.shape)})`,
        'input features (last dim)',
      );
    }
    return linear(t, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null ? 'True' : 'False'}`;
  }
}
