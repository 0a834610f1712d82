import { combineCategories, type DType, promoteTypes, scalarDType } from '../dtype';
import { ArgumentError, DeviceError } from '../errors';
import { Tensor } from '../tensor';

export type Operand = Tensor | number | boolean;

export function checkOperand(op: string, name: string, v: unknown): Operand {
  if (v instanceof Tensor) return v.assertLive(op);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  throw new ArgumentError(op, name, 'a Tensor or a number', v);
}

/**
 * The common dtype of the operands, by PyTorch's rules (torch.result_type): tensors with dims
 * dominate 0-d tensors, which dominate JS numbers; a lower category only widens the result when it is
 * of a higher kind (bool < integer < floating). So `f16 * 0.5` and `f16 * tensor(0.5)` stay float16,
 * `int32 * 2.5` is float32.
 */
export function resultType(operands: readonly Operand[]): DType {
  let dims: DType | null = null;
  let zeroDim: DType | null = null;
  let scalars: DType | null = null;
  const join = (acc: DType | null, d: DType) => (acc === null ? d : promoteTypes(acc, d));
  for (const o of operands) {
    if (o instanceof Tensor) {
      if (o.ndim > 0) dims = join(dims, o.dtype);
      else zeroDim = join(zeroDim, o.dtype);
    } else {
      scalars = join(scalars, scalarDType(o));
    }
  }
  if (dims === null && zeroDim === null) {
    throw new ArgumentError('resultType', 'operands', 'at least one Tensor', operands);
  }
  return combineCategories(dims, combineCategories(zeroDim, scalars))!;
}

export function sameDevice(op: string, tensors: readonly Tensor[]): void {
  for (const t of tensors)
    if (t.device !== tensors[0]!.device) throw new DeviceError(op, tensors[0]!.device, t.device);
}
