import { noGrad } from '@mantissa/autograd';
import { rand, randn, type Tensor, tidy } from '@mantissa/tensor';
import { fmtValue, NnError } from './errors';

/**
 * Weight initialisers with PyTorch's (torch.nn.init) signatures and formulas. Each writes the tensor in
 * place under noGrad (so it works on parameters that require grad) and returns it. Random values are
 * drawn in float32 (float64 for a float64 tensor) from the global generator and rounded once.
 */

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fanIn' | 'fanOut';

export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', the default) or of the backward pass. */
  mode?: FanMode;
  /** Default 'leaky_relu' (with a = 0, the same gain as 'relu': √2). */
  nonlinearity?: Nonlinearity;
}

/** The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new NnError('init.calculateGain', `expected a finite negative slope, got ${fmtValue(param)}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new NnError(
        'init.calculateGain',
        `expected one of linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, leaky_relu, selu, got ${fmtValue(nonlinearity)}`,
      );
  }
}

/** fan_in = shape[1] · receptive field, fan_out = shape[0] · receptive field (PyTorch's definition). */
export function calculateFanInAndFanOut(op: string, t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new NnError(
      op,
      `expected a tensor of at least 2 dims to compute fans, got shape ${fmtValue(t.shape)}`,
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = options;
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new NnError(op, `expected mode 'fanIn' or 'fanOut', got ${fmtValue(mode)}`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(op, t);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  if (fan === 0)
    throw new NnError(op, `expected a tensor with a non-zero fan, got shape ${fmtValue(t.shape)}`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

function checkFloat(op: string, t: unknown): Tensor {
  const x = t as Tensor;
  if (typeof x?.dtype !== 'string' || !['float32', 'float16', 'bfloat16', 'float64'].includes(x.dtype)) {
    throw new NnError(op, `expected a float tensor, got ${fmtValue(x?.dtype ?? String(t))}`);
  }
  return x.assertLive(op);
}

function fill(t: Tensor, draw: (opts: { dtype: 'float32' | 'float64' }) => Tensor): Tensor {
  const dtype = t.dtype === 'float64' ? 'float64' : 'float32';
  noGrad(() =>
    tidy(() => {
      t.copy_(draw({ dtype }));
    }),
  );
  return t;
}

/** Fills with values drawn uniformly from [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  checkFloat('init.uniform_', t);
  if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) {
    throw new NnError('init.uniform_', `expected finite bounds a <= b, got [${a}, ${b}]`);
  }
  return fill(t, (o) =>
    rand(t.shape, o)
      .mul(b - a)
      .add(a),
  );
}

/** Fills with values drawn from N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  checkFloat('init.normal_', t);
  if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) {
    throw new NnError('init.normal_', `expected a finite mean and std >= 0, got mean ${mean}, std ${std}`);
  }
  return fill(t, (o) => randn(t.shape, o).mul(std).add(mean));
}

export function constant_(t: Tensor, value: number): Tensor {
  checkFloat('init.constant_', t);
  noGrad(() => t.fill_(value));
  return t;
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** U(−bound, bound) with bound = gain · √(3 / fan): He et al.'s initialisation, uniform. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkFloat('init.kaimingUniform_', t);
  const bound = Math.sqrt(3) * kaimingStd('init.kaimingUniform_', t, options);
  return uniform_(t, -bound, bound);
}

/** N(0, std²) with std = gain / √fan: He et al.'s initialisation (fastai's default for conv layers). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkFloat('init.kaimingNormal_', t);
  return normal_(t, 0, kaimingStd('init.kaimingNormal_', t, options));
}
