import { isTensor, type Tensor } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import type { Module } from '../module';

/**
 * A layer given an input it cannot take (wrong rank, wrong channel count). The op is the layer as it
 * prints (`Conv2d(3, 16, kernel_size=(3, 3)).forward`), so the message says which layer refused what.
 */
export class LayerInputError extends NnError {
  constructor(
    readonly layer: string,
    readonly expected: unknown,
    readonly actual: unknown,
    what: string,
  ) {
    super(`${layer}.forward`, `expected ${what} ${fmtValue(expected)}, got ${fmtValue(actual)}`);
  }
}

/** Checks x's rank, and its size along dim 1 when `channels` is given. */
export function checkInput(
  layer: Module,
  x: unknown,
  ndims: readonly number[],
  layout: string,
  channels?: { count: number; what: string },
): Tensor {
  if (!isTensor(x)) throw new LayerInputError(layer.toString(), 'a Tensor', String(x), 'the input to be');
  const t = x.assertLive(`${layer.constructor.name}.forward`);
  if (!ndims.includes(t.ndim)) {
    throw new LayerInputError(
      layer.toString(),
      `${ndims.join(' or ')}-d ${layout}`,
      `${t.ndim}-d input of shape ${fmtValue(t.shape)}`,
      'an input of',
    );
  }
  if (channels !== undefined && t.shape[1] !== channels.count) {
    throw new LayerInputError(
      layer.toString(),
      channels.count,
      `${t.shape[1]} (input shape ${fmtValue(t.shape)})`,
      channels.what,
    );
  }
  return t;
}
