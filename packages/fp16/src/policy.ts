import { noGrad } from '@mantissa/autograd';
import { BatchNorm1d, BatchNorm2d, type Module, Parameter } from '@mantissa/nn';
import { DTYPES, isTensor, type Tensor, tidy } from '@mantissa/tensor';
import { Fp16OptionError } from './errors';

/** The low-precision dtypes a model can be converted to. */
export type HalfDType = 'float16' | 'bfloat16';

export function checkHalfDType(op: string, dtype: unknown): HalfDType {
  if (dtype !== 'float16' && dtype !== 'bfloat16') {
    throw new Fp16OptionError(op, 'dtype', "'float16' or 'bfloat16'", dtype);
  }
  return dtype;
}

/** Layers that keep fp32 weights and running statistics (fastai's `bn2float`: every `_BatchNorm`). */
export function isBatchNorm(m: Module): boolean {
  return m instanceof BatchNorm1d || m instanceof BatchNorm2d;
}

function containsBatchNorm(m: Module): boolean {
  return m.modules().some(isBatchNorm);
}

/**
 * Converts a model to fp16 (or bf16) in place, except batch-norm layers, which keep fp32 weights and
 * running statistics and compute in fp32 on half inputs (fastai's `model2half`). Unlike fastai's
 * `model.half()` then `bn.float()`, batch-norm values never pass through half precision. Returns the model.
 *
 * Parameters are replaced by new ones (dtypes are immutable): create optimizers after this.
 */
export function modelToHalf<M extends Module>(model: M, options: { dtype?: HalfDType } = {}): M {
  const op = 'modelToHalf';
  checkModule(op, model);
  const dtype = checkHalfDType(op, options.dtype ?? 'float16');
  convert(model, dtype);
  return model;
}

function convert(m: Module, dtype: HalfDType): void {
  if (isBatchNorm(m)) return;
  if (!containsBatchNorm(m)) {
    m.to(dtype);
    return;
  }
  // A container with batch norms inside: its own parameters and buffers here, its children one by one.
  const own = (name: string) => !name.includes('.');
  const persistent = tidy(() => new Set(Object.keys(m.stateDict())));
  noGrad(() => {
    for (const [name, p] of m.namedParameters().filter(([n]) => own(n))) {
      if (!DTYPES[p.dtype].isFloat || p.dtype === dtype) continue;
      const data = p.to(dtype);
      const np = new Parameter(data, p.requiresGrad);
      data.dispose();
      if (p.grad !== null) np.grad = p.grad.to(dtype);
      m.setParameter(name, np);
      p.grad = null;
      p.dispose();
    }
    for (const [name, b] of m.namedBuffers().filter(([n]) => own(n))) {
      if (!DTYPES[b.dtype].isFloat || b.dtype === dtype) continue;
      m.registerBuffer(name, b.to(dtype), { persistent: persistent.has(name) });
      b.dispose();
    }
  });
  for (const c of m.children()) convert(c, dtype);
}

/** Converts every layer back to fp32 (fastai's `model.float()`). Returns the model. */
export function modelToFloat<M extends Module>(model: M): M {
  checkModule('modelToFloat', model);
  return model.float();
}

function checkModule(op: string, model: unknown): asserts model is Module {
  if (typeof model !== 'object' || model === null || typeof (model as Module).modules !== 'function') {
    throw new Fp16OptionError(op, 'model', 'a Module', model);
  }
}

/** A float tensor in `dtype` (a new tensor); integer and bool tensors come back as they are (fastai's `to_half`). */
export function toHalf(t: Tensor, dtype: HalfDType = 'float16'): Tensor {
  if (!isTensor(t)) throw new Fp16OptionError('toHalf', 'input', 'a Tensor', t);
  return DTYPES[t.dtype].isFloat && t.dtype !== dtype ? t.to(dtype) : t;
}

/** A float tensor in float32; others as they are (fastai's `to_float`). */
export function toFloat(t: Tensor): Tensor {
  if (!isTensor(t)) throw new Fp16OptionError('toFloat', 'input', 'a Tensor', t);
  return DTYPES[t.dtype].isFloat && t.dtype !== 'float32' ? t.float() : t;
}

/** One batch `[x, y]` (as @mantissa/data's loaders yield it). */
export type Batch = readonly [x: Tensor, y: Tensor];

/**
 * The data transform of fp16 training (fastai's `batch_to_half`): the inputs to float16, the targets
 * untouched. Add it to a DataBunch with `data.addTransform(batchToHalf)`.
 */
export function batchToHalf(batch: Batch): Batch {
  return [toHalf(batch[0], 'float16'), batch[1]];
}

/** `batchToHalf` for bf16 training: the inputs to bfloat16, the targets untouched. */
export function batchToBfloat16(batch: Batch): Batch {
  return [toHalf(batch[0], 'bfloat16'), batch[1]];
}

/** The batch transform for a half dtype (the same function each time, so it can be removed again). */
export function batchTransformFor(dtype: HalfDType): (batch: Batch) => Batch {
  return checkHalfDType('batchTransformFor', dtype) === 'float16' ? batchToHalf : batchToBfloat16;
}

/** A loss computed in fp32 (fastai's `loss_fp32`): the model's output is cast to float32 first. */
export function lossFp32<Y>(
  lossFunc: (output: Tensor, target: Y) => Tensor,
): (output: Tensor, target: Y) => Tensor {
  if (typeof lossFunc !== 'function')
    throw new Fp16OptionError('lossFp32', 'lossFunc', 'a function', lossFunc);
  return (output, target) => lossFunc(toFloat(output), target);
}
