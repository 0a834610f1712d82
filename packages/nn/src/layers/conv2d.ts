import { conv2d, type Tensor, zeros } from '@mantissa/tensor';
import { NnError } from '../errors';
import { kaimingUniform_, uniform_ } from '../init';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { checkInput } from './input-error';
import { adopt, checkBool, checkInt, checkPair, type Size2, tuple } from './shared';

export interface Conv2dOptions {
  stride?: Size2;
  /** Zeros added on each side (default 0). */
  padding?: Size2;
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
}

/**
 * 2-d convolution over (N, C, H, W) inputs, as torch.nn.Conv2d (zero padding), with its default
 * initialisation: W ~ kaiming_uniform(a = √5), i.e. U(±1/√fan_in), b ~ U(±1/√fan_in), where
 * fan_in = in_channels / groups · kh · kw.
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2dOptions = {}) {
    super();
    const L = 'Conv2d';
    this.inChannels = checkInt(L, 'inChannels', inChannels);
    this.outChannels = checkInt(L, 'outChannels', outChannels);
    this.kernelSize = checkPair(L, 'kernelSize', kernelSize);
    this.stride = checkPair(L, 'stride', options.stride ?? 1);
    this.padding = checkPair(L, 'padding', options.padding ?? 0, 0);
    this.dilation = checkPair(L, 'dilation', options.dilation ?? 1);
    this.groups = checkInt(L, 'groups', options.groups ?? 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new NnError(
        L,
        `expected groups to divide inChannels ${inChannels} and outChannels ${outChannels}, got ${this.groups}`,
      );
    }
    this.weight = adopt(zeros([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = checkBool(L, 'bias', options.bias ?? true) ? adopt(zeros([outChannels])) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const fanIn = (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
      const bound = 1 / Math.sqrt(fanIn);
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    const t = checkInput(this, x, [4], '(N, C, H, W)', { count: this.inChannels, what: 'input channels' });
    return conv2d(t, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
