import { DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { DTypeError } from '../errors';
import { broadcastShapes } from '../shape';
import { Tensor } from '../tensor';
import { kernelInput } from './broadcast';
import { checkOperand, type Operand, resultType, sameDevice } from './operand';

/** How the binary kernels receive a scalar operand (attrs[0]); the scalar itself is attrs[1]. */
export const enum ScalarMode {
  None = 0,
  Right = 1,
  Left = 2,
}

interface BinarySpec {
  /** dtype the kernel computes in, from the promoted dtype of the operands. */
  compute?: (dtype: DType) => DType;
  /** the output is bool (comparisons). */
  predicate?: boolean;
  /** dtypes the op refuses. */
  refuse?: readonly DType[];
}

const trueDivision = (d: DType): DType => (DTYPES[d].isFloat ? d : 'float32');

/**
 * @internal Runs binary kernel `op` on two operands (at least one a tensor) with broadcasting and type
 * promotion. Scalars stay scalars (passed as a double attribute), so a float16 tensor times 0.1 uses
 * 0.1 in float32 as a GPU does, not 0.1 rounded to float16.
 */
export function binaryOp(op: string, a: Operand, b: Operand, spec: BinarySpec = {}, out?: Tensor): Tensor {
  a = checkOperand(op, 'a', a);
  b = checkOperand(op, 'b', b);
  const promoted = resultType([a, b]);
  const dtype = spec.compute ? spec.compute(promoted) : promoted;
  if (spec.refuse?.includes(dtype)) {
    throw new DTypeError(op, Object.keys(DTYPES).filter((d) => !spec.refuse!.includes(d as DType)), dtype);
  }
  const tensors = [a, b].filter((o): o is Tensor => o instanceof Tensor);
  sameDevice(op, tensors);
  const shape =
    a instanceof Tensor && b instanceof Tensor ? broadcastShapes(op, a.shape, b.shape) : tensors[0]!.shape.slice();
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
  if (out === undefined) recordOp(op, tensors, [result], { a: a instanceof Tensor ? null : a, b: b instanceof Tensor ? null : b });
  return result;
}

const arithmetic: BinarySpec = { refuse: ['bool'] };

/** a + b, with broadcasting and type promotion. `add(x, 1)` keeps x's dtype; on bool it is logical or. */
export const add = (a: Operand, b: Operand): Tensor => binaryOp('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binaryOp('sub', a, b, arithmetic);
export const mul = (a: Operand, b: Operand): Tensor => binaryOp('mul', a, b);
/** True division: integer operands give float32. */
export const div = (a: Operand, b: Operand): Tensor => binaryOp('div', a, b, { compute: trueDivision });
export const pow = (a: Operand, b: Operand): Tensor => binaryOp('pow', a, b, arithmetic);
/** Elementwise maximum; NaN propagates. */
export const maximum = (a: Operand, b: Operand): Tensor => binaryOp('maximum', a, b);
/** Elementwise minimum; NaN propagates. */
export const minimum = (a: Operand, b: Operand): Tensor => binaryOp('minimum', a, b);

const predicate: BinarySpec = { predicate: true };
export const eq = (a: Operand, b: Operand): Tensor => binaryOp('eq', a, b, predicate);
export const ne = (a: Operand, b: Operand): Tensor => binaryOp('ne', a, b, predicate);
export const lt = (a: Operand, b: Operand): Tensor => binaryOp('lt', a, b, predicate);
export const le = (a: Operand, b: Operand): Tensor => binaryOp('le', a, b, predicate);
export const gt = (a: Operand, b: Operand): Tensor => binaryOp('gt', a, b, predicate);
export const ge = (a: Operand, b: Operand): Tensor => binaryOp('ge', a, b, predicate);
