import { fmtValue, NnError } from './errors';
import { kaimingNormal_, zeros_ } from './init';
import { ReLU } from './layers/activation';
import { BatchNorm2d } from './layers/batch-norm';
import { Conv2d } from './layers/conv2d';
import { Flatten } from './layers/flatten';
import { AdaptiveAvgPool2d } from './layers/pooling';
import { Sequential } from './layers/sequential';

export interface ConvLayerOptions {
  /** Default (ks - 1) / 2, rounded down. */
  padding?: number;
  /** Default: no bias when followed by batch norm. */
  bias?: boolean;
  /** Append a BatchNorm2d after the ReLU (fastai's NormType.Batch); default true, as fastai. */
  bn?: boolean;
}

/**
 * fastai v1's conv_layer (plain NormType.Batch / None variants): Sequential(Conv2d, ReLU, BatchNorm2d if
 * bn) — batch norm after the activation — with the conv's weight Kaiming-normal (std √(2 / fan_in)) and
 * its bias zero.
 */
export function convLayer(
  ni: number,
  nf: number,
  ks = 3,
  stride = 1,
  options: ConvLayerOptions = {},
): Sequential {
  const bn = options.bn ?? true;
  const conv = new Conv2d(ni, nf, ks, {
    stride,
    padding: options.padding ?? Math.floor((ks - 1) / 2),
    bias: options.bias ?? !bn,
  });
  kaimingNormal_(conv.weight);
  if (conv.bias !== null) zeros_(conv.bias);
  const layers = new Sequential(conv, new ReLU());
  if (bn) layers.append(new BatchNorm2d(nf));
  return layers;
}

function checkInts(name: string, v: unknown, length?: number): number[] {
  const ok =
    Array.isArray(v) &&
    v.every((x) => Number.isSafeInteger(x) && x > 0) &&
    (length === undefined ? v.length >= 2 : v.length === length);
  if (!ok) {
    const want = length === undefined ? 'at least 2' : `${length}`;
    throw new NnError('simpleCnn', `expected ${name} to be ${want} positive integers, got ${fmtValue(v)}`);
  }
  return v as number[];
}

/**
 * fastai v1's simple_cnn: one conv_layer per pair of consecutive `actns` (kernel 3 and stride 2 by
 * default, padding ks // 2, bias unless followed by batch norm), batch norm on all but the last when
 * `bn`, then Sequential(AdaptiveAvgPool2d(1), Flatten()). The last conv also has a ReLU, so the outputs
 * are >= 0 (fastai's quirk, kept). `simpleCnn([3, 16, 16, 2])` has 3,058 parameters, named as in PyTorch
 * (`0.0.weight`, `0.0.bias`, ..., `2.0.bias`).
 */
export function simpleCnn(
  actns: readonly number[],
  kernelSizes?: readonly number[] | null,
  strides?: readonly number[] | null,
  bn = false,
): Sequential {
  const n = checkInts('actns', actns).length - 1;
  const ks = kernelSizes == null ? new Array<number>(n).fill(3) : checkInts('kernelSizes', kernelSizes, n);
  const st = strides == null ? new Array<number>(n).fill(2) : checkInts('strides', strides, n);
  if (typeof bn !== 'boolean')
    throw new NnError('simpleCnn', `expected bn to be a boolean, got ${fmtValue(bn)}`);
  const model = new Sequential();
  for (let i = 0; i < n; i++) {
    model.append(convLayer(actns[i]!, actns[i + 1]!, ks[i], st[i], { bn: bn && i < n - 1 }));
  }
  model.append(new Sequential(new AdaptiveAvgPool2d(1), new Flatten()));
  return model;
}
