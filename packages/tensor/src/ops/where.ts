import { recordOp, runKernel } from '../engine';
import { DTypeError } from '../errors';
import { broadcastShapes } from '../shape';
import { Tensor } from '../tensor';
import { kernelInput } from './broadcast';
import { checkOperand, type Operand, resultType, sameDevice } from './operand';

/**
 * Elementwise `condition ? a : b`, broadcasting all three; `condition` must be bool. a and b are
 * promoted together (a scalar is rounded once to their dtype); values are copied exactly.
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  checkOperand('where', 'condition', condition);
  if (!(condition instanceof Tensor) || condition.dtype !== 'bool') {
    throw new DTypeError('where', 'bool', condition instanceof Tensor ? condition.dtype : typeof condition);
  }
  a = checkOperand('where', 'a', a);
  b = checkOperand('where', 'b', b);
  const dtype = a instanceof Tensor || b instanceof Tensor ? resultType([a, b]) : scalarsType(a, b);
  const tensors = [condition, a, b].filter((o): o is Tensor => o instanceof Tensor);
  sameDevice('where', tensors);
  let shape = condition.shape.slice();
  for (const t of tensors) shape = broadcastShapes('where', shape, t.shape);
  // Scalars become 0-d tensors viewed with stride 0: the kernel takes three tensors.
  const asTensor = (o: Operand): Tensor => (o instanceof Tensor ? o : full0d(o, dtype, condition.device));
  const ta = asTensor(a);
  const tb = asTensor(b);
  const inputs = [
    kernelInput(condition, shape, 'bool'),
    kernelInput(ta, shape, dtype),
    kernelInput(tb, shape, dtype),
  ];
  const out = Tensor.empty(shape, dtype, condition.device);
  try {
    runKernel('where', [...inputs, out]);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    for (const t of inputs) t.dispose();
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
  recordOp('where', [condition, ...[a, b].filter((o): o is Tensor => o instanceof Tensor)], [out], {
    a: a instanceof Tensor ? null : a,
    b: b instanceof Tensor ? null : b,
  });
  return out;
}

// On the condition's device: a scalar operand must not be the one cpu tensor of a cuda call.
function full0d(value: number | boolean, dtype: Tensor['dtype'], device: Tensor['device']): Tensor {
  const t = Tensor.empty([], dtype, device);
  runKernel('fill', [t], [Number(value)]);
  return t;
}

/** Two scalars: bool if both are booleans, else float32 (JavaScript does not tell 1 from 1.0). */
function scalarsType(a: number | boolean, b: number | boolean): Tensor['dtype'] {
  return typeof a === 'boolean' && typeof b === 'boolean' ? 'bool' : 'float32';
}
