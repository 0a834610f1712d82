import { type AdaptiveSize, adaptiveAvgPool2d, maxPool2d, type Tensor } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import { Module } from '../module';
import { checkInput } from './input-error';
import { checkBool, checkPair, type Size2, tuple } from './shared';

/** Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d (null keeps that input dim). */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: AdaptiveSize;

  constructor(outputSize: AdaptiveSize) {
    super();
    const ok = (v: unknown) => v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
    const valid =
      typeof outputSize === 'number'
        ? ok(outputSize) && outputSize !== null
        : Array.isArray(outputSize) && outputSize.length === 2 && outputSize.every(ok);
    if (!valid) {
      throw new NnError(
        'AdaptiveAvgPool2d',
        `expected outputSize to be an integer >= 0 or a pair of them (or null), got ${fmtValue(outputSize)}`,
      );
    }
    this.outputSize = outputSize;
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(checkInput(this, x, [4], '(N, C, H, W)'), this.outputSize);
  }

  override extraRepr(): string {
    const s = this.outputSize;
    return `output_size=${typeof s === 'number' ? s : `(${s.map((v) => v ?? 'None').join(', ')})`}`;
  }
}

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
}

/** Max pooling, as torch.nn.MaxPool2d. */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Size2, options: MaxPool2dOptions = {}) {
    super();
    const L = 'MaxPool2d';
    this.kernelSize = checkPair(L, 'kernelSize', kernelSize);
    this.stride = options.stride === undefined ? this.kernelSize : checkPair(L, 'stride', options.stride);
    this.padding = checkPair(L, 'padding', options.padding ?? 0, 0);
    this.dilation = checkPair(L, 'dilation', options.dilation ?? 1);
    this.ceilMode = checkBool(L, 'ceilMode', options.ceilMode ?? false);
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(checkInput(this, x, [4], '(N, C, H, W)'), this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    }).output;
  }

  override extraRepr(): string {
    return `kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}, padding=${tuple(this.padding)}, dilation=${tuple(this.dilation)}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}
