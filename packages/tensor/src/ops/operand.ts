import { promoteTypes, promoteWithScalar, type DType } from '../dtype';
import { ArgumentError, DeviceError } from '../errors';
import { Tensor } from '../tensor';

export type Operand = Tensor | number | boolean;

export function checkOperand(op: string, name: string, v: unknown): Operand {
  if (v instanceof Tensor) return v.assertLive(op);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  throw new ArgumentError(op, name, 'a Tensor or a number', v);
}

/** The common dtype of tensor and scalar operands, PyTorch's rules (tensors dominate scalars). */
export function resultType(operands: readonly Operand[]): DType {
  let dtype: DType | null = null;
  for (const o of operands) if (o instanceof Tensor) dtype = dtype === null ? o.dtype : promoteTypes(dtype, o.dtype);
  if (dtype === null) throw new ArgumentError('resultType', 'operands', 'at least one Tensor', operands);
  for (const o of operands) if (!(o instanceof Tensor)) dtype = promoteWithScalar(dtype, o);
  return dtype;
}

export function sameDevice(op: string, tensors: readonly Tensor[]): void {
  for (const t of tensors) if (t.device !== tensors[0]!.device) throw new DeviceError(op, tensors[0]!.device, t.device);
}
