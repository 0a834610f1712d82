import { noGrad } from '@mantissa/autograd';
import { crossEntropy, type Module, simpleCnn } from '@mantissa/nn';
import { flattenModel, splitNoWdParams } from '@mantissa/optim';
import { manualSeed, randn, type Tensor, tensor } from '@mantissa/tensor';
import type { LossScaler, MasterParams } from '../src';
import { toFloat, toHalf } from '../src';

/** simpleCnn([3, 8, 8, 2]) with batch norm on the first two conv layers, seeded. */
export function makeCnn(seed: number, bn = true): Module {
  manualSeed(seed);
  return simpleCnn([3, 8, 8, 2], null, null, bn);
}

/** fastai's split of the model's single layer group: [wd params, no-wd params]. */
export function groupsOf(model: Module) {
  return splitNoWdParams([flattenModel(model)]);
}

/** A deterministic batch of 8 images 3×16×16 and labels 0/1. */
export function batch(i: number, n = 8): [Tensor, Tensor] {
  manualSeed(1000 + i);
  const x = randn([n, 3, 16, 16]);
  const y = tensor(
    Array.from({ length: n }, (_, k) => (k + i) % 2),
    { dtype: 'int32' },
  );
  return [x, y];
}

/** Bits of a tensor (half: 16-bit patterns; float32: 32-bit), for bit-exact comparisons. */
export function bitsOf(t: Tensor): number[] {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return Array.from(t.bits());
  const f = t.data();
  if (f instanceof Float32Array) return Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
  return Array.from(f as ArrayLike<number>);
}

export interface LoopStep {
  loss: number;
  skipped: boolean;
  scale: number;
}

/**
 * One mixed-precision step by hand: forward in half, loss in fp32, scaled backward, fused unscale and
 * check, step or skip, master → model, zero the model's gradients. `plant` may write into the model's
 * gradients after backward (to inject an overflow).
 */
export function handStep(
  model: Module,
  masters: MasterParams,
  opt: { step(): void; zeroGrad(setToNone?: boolean): void },
  scaler: LossScaler,
  x: Tensor,
  y: Tensor,
  options: {
    dtype?: 'float16' | 'bfloat16';
    plant?: (m: Module) => void;
    clip?: (m: MasterParams) => void;
  } = {},
): LoopStep {
  const out = model.forward(toHalf(x, options.dtype ?? 'float16'));
  const loss = crossEntropy(toFloat(out), y);
  scaler.scaleLoss(loss).backward();
  options.plant?.(model);
  const { foundInf } = masters.modelGradsToMaster(scaler);
  const scale = scaler.scale;
  const { skipped } = scaler.update(foundInf);
  if (!skipped) {
    options.clip?.(masters);
    opt.step();
    masters.masterToModel();
  }
  masters.zeroModelGrads();
  opt.zeroGrad();
  return { loss: loss.item() as number, skipped, scale };
}

/** Writes value at flat index i of the named parameter's gradient (an fp16 overflow, say). */
export function plantInGrad(model: Module, name: string, i: number, value: number): void {
  const g = model.getParameter(name).grad!;
  noGrad(() => g.flatten().narrow(0, i, 1).fill_(value));
}
