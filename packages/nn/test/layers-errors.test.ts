import { MantissaError, zeros } from '@mantissa/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  LayerInputError,
  Linear,
  MaxPool2d,
  NnError,
  ReLU,
  simpleCnn,
} from '../src/index';
import { thrown } from './helpers';

describe('a layer given an input it cannot take', () => {
  it('Conv2d expecting 3 channels given 4 names the layer, the expected and the actual count', () => {
    const conv = new Conv2d(3, 16, 3, { stride: 2, padding: 1 });
    const e = thrown(() => conv.forward(zeros([2, 4, 8, 8])));
    expect(e).toBeInstanceOf(LayerInputError);
    expect(e).toBeInstanceOf(NnError);
    expect(e).toBeInstanceOf(MantissaError);
    expect(e.message).toBe(
      'Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)).forward: expected input channels 3, got 4 (input shape [2, 4, 8, 8])',
    );
    const le = e as LayerInputError;
    expect(le.layer).toBe('Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))');
    expect(le.expected).toBe(3);
  });

  it('names the rank expected and the shape given', () => {
    const cases: [{ forward(x: unknown): unknown }, number[], RegExp][] = [
      [
        new Conv2d(3, 4, 3),
        [3, 8, 8],
        /^Conv2d\(3, 4.*: expected an input of 4-d \(N, C, H, W\), got 3-d input of shape \[3, 8, 8\]$/,
      ],
      [
        new BatchNorm2d(3),
        [2, 3],
        /^BatchNorm2d\(3.*expected an input of 4-d \(N, C, H, W\), got 2-d input of shape \[2, 3\]/,
      ],
      [new BatchNorm1d(3), [2, 3, 4, 4], /expected an input of 2 or 3-d \(N, C\) or \(N, C, L\), got 4-d/],
      [new MaxPool2d(2), [4, 4], /^MaxPool2d\(kernel_size=\(2, 2\).*expected an input of 4-d/],
      [
        new AdaptiveAvgPool2d(1),
        [2, 3, 4],
        /^AdaptiveAvgPool2d\(output_size=1\)\.forward: expected an input of 4-d/,
      ],
    ];
    for (const [layer, shape, re] of cases) {
      const e = thrown(() => layer.forward(zeros(shape)));
      expect(e).toBeInstanceOf(LayerInputError);
      expect(e.message).toMatch(re);
    }
  });

  it('names the feature or channel count expected', () => {
    expect(thrown(() => new Linear(5, 3).forward(zeros([2, 4]))).message).toBe(
      'Linear(in_features=5, out_features=3, bias=True).forward: expected input features (last dim) 5, got 4 (input shape [2, 4])',
    );
    expect(thrown(() => new BatchNorm2d(3).forward(zeros([2, 5, 4, 4]))).message).toMatch(
      /expected channels 3, got 5 \(input shape \[2, 5, 4, 4\]\)$/,
    );
    expect(thrown(() => new BatchNorm1d(3).forward(zeros([2, 4]))).message).toMatch(
      /expected channels 3, got 4/,
    );
  });

  it('refuses what is not a tensor', () => {
    for (const layer of [new ReLU(), new Dropout(), new Flatten(), new Linear(1, 1)]) {
      const e = thrown(() => layer.forward([1, 2] as never));
      expect(e).toBeInstanceOf(LayerInputError);
      expect(e.message).toMatch(/expected the input to be a Tensor, got 1,2/);
    }
  });

  it('a model stops at the first layer that refuses, naming it', () => {
    const model = simpleCnn([3, 16, 16, 2]);
    expect(thrown(() => model.forward(zeros([1, 1, 28, 28]))).message).toMatch(
      /^Conv2d\(3, 16,.*expected input channels 3, got 1/,
    );
  });

  it('Flatten names dims outside the input', () => {
    expect(thrown(() => new Flatten(2).forward(zeros([3, 4]))).message).toMatch(
      /^Flatten\(start_dim=2, end_dim=-1\)\.forward: expected startDim 2 and endDim -1 to be dims of the input in order, got a 2-d input/,
    );
  });
});

describe('layer constructors refuse bad arguments', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => new Linear(0, 2), /^Linear: expected inFeatures to be an integer >= 1, got 0/],
    [() => new Linear(2.5, 2), /inFeatures.*got 2\.5/],
    [() => new Linear(2, 2, 'yes' as never), /^Linear: expected bias to be a boolean, got yes/],
    [() => new Conv2d(3, 4, 0), /^Conv2d: expected kernelSize to be an integer >= 1, got 0/],
    [() => new Conv2d(3, 4, [3, 3, 3] as never), /kernelSize to be an integer or a pair/],
    [() => new Conv2d(3, 4, 3, { padding: -1 }), /padding to be an integer >= 0, got -1/],
    [() => new Conv2d(3, 4, 3, { groups: 2 }), /groups to divide inChannels 3 and outChannels 4, got 2/],
    [() => new BatchNorm2d(0), /^BatchNorm2d: expected numFeatures/],
    [() => new BatchNorm1d(3, { eps: -1 }), /^BatchNorm1d: expected eps/],
    [() => new BatchNorm1d(3, { momentum: Number.NaN }), /momentum to be a finite number or null/],
    [() => new Dropout(1), /^Dropout: expected p to be a probability in \[0, 1\), got 1/],
    [() => new MaxPool2d(2, { ceilMode: 1 as never }), /ceilMode to be a boolean/],
    [() => new AdaptiveAvgPool2d(-1), /outputSize to be an integer >= 0/],
    [() => new Flatten(0.5), /startDim to be an integer/],
  ];
  for (const [fn, re] of bad) {
    it(re.source, () => {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(NnError);
      expect(e.message).toMatch(re);
    });
  }
});
