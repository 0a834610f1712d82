import { noGrad } from '@mantissa/autograd';
import type { Callback } from '@mantissa/callbacks';
import { Fp16OptionError } from './errors';
import { MixedPrecision, type MixedPrecisionLearner, type MixedPrecisionOptions } from './mixed-precision';
import { type Batch, batchToBfloat16, batchToHalf, modelToFloat, modelToHalf } from './policy';

/** What toFp16/toFp32 need of a learner: LearnerLike, its persistent callbacks, and data that takes transforms. */
export interface Fp16Learner extends MixedPrecisionLearner {
  callbacks: Callback[];
  data: MixedPrecisionLearner['data'] & {
    addTransform?(tf: (batch: Batch) => Batch): unknown;
    removeTransform?(tf: (batch: Batch) => Batch): boolean;
  };
}

function checkLearner(op: string, learn: unknown): asserts learn is Fp16Learner {
  const l = learn as Fp16Learner | null;
  if (
    typeof l !== 'object' ||
    l === null ||
    !Array.isArray(l.callbacks) ||
    typeof l.model?.parameters !== 'function'
  ) {
    throw new Fp16OptionError(op, 'learn', 'a learner with a model and a callbacks array', learn);
  }
}

/** The learner's MixedPrecision callback (after toFp16), or null. */
export function mixedPrecisionOf(learn: { callbacks: readonly Callback[] }): MixedPrecision | null {
  return (learn.callbacks.find((c) => c instanceof MixedPrecision) as MixedPrecision | undefined) ?? null;
}

/**
 * fastai's `to_fp16`: converts the model to fp16 (bf16 with `dtype: 'bfloat16'`) except batch norm, adds
 * `batchToHalf` to the data, and adds a MixedPrecision callback with `options`. As on the seed page the
 * default is a static loss scale of 512 (`dynamic: false`); pass `dynamic: true` for fastai 1.0.49+'s
 * dynamic scaling from 2**16. Calls `toFp32` first, so calling it twice is harmless. Returns the learner.
 */
export function toFp16<L extends Fp16Learner>(learn: L, options: MixedPrecisionOptions = {}): L {
  const op = 'toFp16';
  checkLearner(op, learn);
  // Validate everything before touching the learner.
  const probe = new MixedPrecision(learn, { dynamic: false, ...options });
  toFp32(learn);
  modelToHalf(learn.model, { dtype: probe.dtype });
  learn.data.addTransform?.(probe.dtype === 'float16' ? batchToHalf : batchToBfloat16);
  learn.callbacks.push(probe);
  // The masters (and, when flat, the model's flat buffers) exist before the learner builds its optimizer.
  probe.prepare();
  return learn;
}

/**
 * fastai's `to_fp32`: removes the half transforms and every MixedPrecision, and converts the model back
 * to fp32. Unlike fastai, the weights are the fp32 masters, not their fp16 roundings. Returns the learner.
 */
export function toFp32<L extends Fp16Learner>(learn: L): L {
  checkLearner('toFp32', learn);
  learn.data.removeTransform?.(batchToHalf);
  learn.data.removeTransform?.(batchToBfloat16);
  const mps = learn.callbacks.filter((c): c is MixedPrecision => c instanceof MixedPrecision);
  learn.callbacks.splice(
    0,
    learn.callbacks.length,
    ...learn.callbacks.filter((c) => !(c instanceof MixedPrecision)),
  );
  const masters = mps.map((m) => m.masters).find((m) => m !== null) ?? null;
  const fp32 = masters === null ? null : masters.namedMasters();
  modelToFloat(learn.model);
  if (fp32 !== null) {
    noGrad(() => {
      const byName = new Map(learn.model.namedParameters());
      for (const [name, t] of fp32) byName.get(name)?.copy_(t);
    });
  }
  for (const m of mps) m.dispose();
  return learn;
}
