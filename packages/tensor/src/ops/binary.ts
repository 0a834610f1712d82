import { DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, DTypeError } from '../errors';
import { broadcastShapes } from '../shape';
import { Tensor } from '../tensor';
import { kernelInput } from './broadcast';
import { checkOperand, type Operand, resultType, sameDevice } from './operand';

/** How the binary kernels receive a scalar operand (attrs[0]); the scalar itself is attrs[1]. */
export enum ScalarMode {
  None = 0,
  Right = 1,
  Left = 2,
}

/** @internal How an op promotes and which dtypes it takes. */
export interface BinarySpec {
  /** dtype the kernel computes in, from the promoted dtype of the operands. */
  compute?: (dtype: DType) => DType;
  /** the output is bool (comparisons). */
  predicate?: boolean;
  /** dtypes the op refuses. */
  refuse?: readonly DType[];
}

const trueDivision = (d: DType): DType => (DTYPES[d].isFloat ? d : 'float32');

/** @internal The dtype a binary op computes in for these operands (after its refusals). */
export function computeDType(op: string, a: Operand, b: Operand, spec: BinarySpec): DType {
  const promoted = resultType([a, b]);
  const dtype = spec.compute ? spec.compute(promoted) : promoted;
  if (spec.refuse?.includes(dtype)) {
    throw new DTypeError(
      op,
      Object.keys(DTYPES).filter((d) => !spec.refuse!.includes(d as DType)),
      dtype,
    );
  }
  return dtype;
}

/** A scalar must be exact in an integer compute dtype (a fractional one already promoted to float32). */
function checkScalar(op: string, name: string, v: number | boolean, dtype: DType): void {
  if (dtype === 'int32' && typeof v === 'number' && !(v >= -(2 ** 31) && v < 2 ** 31)) {
    throw new ArgumentError(op, name, 'a scalar in the int32 range (the tensor is int32)', v);
  }
  if (op === 'pow' && name === 'b' && dtype === 'int32' && typeof v === 'number' && v < 0) {
    throw new ArgumentError(
      op,
      'exponent',
      'a non-negative integer: integers to negative integer powers are not allowed',
      v,
    );
  }
}

/**
 * @internal Runs binary kernel `op` on two operands (at least one a tensor) with broadcasting and type
 * promotion, into `out` when given (its shape and dtype already checked by the caller). Records
 * nothing: binaryOp and the in-place ops do. Scalars stay scalars (passed as a double attribute), so a
 * float16 tensor times 0.1 uses 0.1 in float32 as a GPU does, not 0.1 rounded to float16.
 */
export function computeBinary(
  op: string,
  a: Operand,
  b: Operand,
  spec: BinarySpec = {},
  out?: Tensor,
): Tensor {
  a = checkOperand(op, 'a', a);
  b = checkOperand(op, 'b', b);
  if (!(a instanceof Tensor) && !(b instanceof Tensor))
    throw new ArgumentError(op, 'a or b', 'a Tensor', [a, b]);
  const dtype = computeDType(op, a, b, spec);
  const tensors = [a, b].filter((o): o is Tensor => o instanceof Tensor);
  sameDevice(op, tensors);
  const shape =
    a instanceof Tensor && b instanceof Tensor
      ? broadcastShapes(op, a.shape, b.shape)
      : tensors[0]!.shape.slice();
  if (!(a instanceof Tensor)) checkScalar(op, 'a', a, dtype);
  if (!(b instanceof Tensor)) checkScalar(op, 'b', b, dtype);
  const outDtype: DType = spec.predicate ? 'bool' : dtype;
  const result = out ?? Tensor.empty(shape, outDtype, tensors[0]!.device);
  const inputs = tensors.map((t) => kernelInput(t, shape, dtype));
  try {
    if (a instanceof Tensor && b instanceof Tensor) {
      runKernel(op, [inputs[0]!, inputs[1]!, result], [ScalarMode.None, 0]);
    } else {
      const scalar = Number(a instanceof Tensor ? b : a);
      runKernel(op, [inputs[0]!, result], [a instanceof Tensor ? ScalarMode.Right : ScalarMode.Left, scalar]);
    }
  } catch (e) {
    if (out === undefined) result.dispose();
    throw e;
  } finally {
    for (const t of inputs) t.dispose();
  }
  return result;
}

/** @internal computeBinary into a new tensor, recorded for autograd. */
export function binaryOp(op: string, a: Operand, b: Operand, spec: BinarySpec = {}): Tensor {
  const result = computeBinary(op, a, b, spec);
  recordOp(
    op,
    [a, b].filter((o): o is Tensor => o instanceof Tensor),
    [result],
    {
      a: a instanceof Tensor ? null : a,
      b: b instanceof Tensor ? null : b,
    },
  );
  return result;
}

/** @internal The spec of each binary op, shared with the in-place forms. */
export const SPECS: Readonly<Record<string, BinarySpec>> = {
  add: {},
  sub: { refuse: ['bool'] },
  mul: {},
  div: { compute: trueDivision },
  pow: { refuse: ['bool'] },
  maximum: {},
  minimum: {},
  eq: { predicate: true },
  ne: { predicate: true },
  lt: { predicate: true },
  le: { predicate: true },
  gt: { predicate: true },
  ge: { predicate: true },
};

/** a + b, with broadcasting and type promotion. `add(x, 1)` keeps x's dtype; on bool it is logical or. */
export const add = (a: Operand, b: Operand): Tensor => binaryOp('add', a, b, SPECS.add);
/** a - b; refuses bool. */
export const sub = (a: Operand, b: Operand): Tensor => binaryOp('sub', a, b, SPECS.sub);
/** a * b; on bool it is logical and. */
export const mul = (a: Operand, b: Operand): Tensor => binaryOp('mul', a, b, SPECS.mul);
/** True division (correctly rounded, also with a scalar on either side): integer operands give float32. */
export const div = (a: Operand, b: Operand): Tensor => binaryOp('div', a, b, SPECS.div);
/**
 * a ** b. With a scalar exponent, 2, 3, -2, 0.5, -0.5 and -1 are computed as PyTorch does (x * x,
 * x * x * x, 1 / (x * x), sqrt, 1 / sqrt, 1 / x). Integer powers are exact (wrapping on overflow); a
 * negative scalar exponent on an integer tensor throws, as in PyTorch.
 */
export const pow = (a: Operand, b: Operand): Tensor => binaryOp('pow', a, b, SPECS.pow);
/** Elementwise maximum; NaN propagates, and maximum(+0, -0) is +0. On bool it is logical or. */
export const maximum = (a: Operand, b: Operand): Tensor => binaryOp('maximum', a, b, SPECS.maximum);
/** Elementwise minimum; NaN propagates, and minimum(+0, -0) is -0. On bool it is logical and. */
export const minimum = (a: Operand, b: Operand): Tensor => binaryOp('minimum', a, b, SPECS.minimum);

export const eq = (a: Operand, b: Operand): Tensor => binaryOp('eq', a, b, SPECS.eq);
export const ne = (a: Operand, b: Operand): Tensor => binaryOp('ne', a, b, SPECS.ne);
export const lt = (a: Operand, b: Operand): Tensor => binaryOp('lt', a, b, SPECS.lt);
export const le = (a: Operand, b: Operand): Tensor => binaryOp('le', a, b, SPECS.le);
export const gt = (a: Operand, b: Operand): Tensor => binaryOp('gt', a, b, SPECS.gt);
export const ge = (a: Operand, b: Operand): Tensor => binaryOp('ge', a, b, SPECS.ge);
