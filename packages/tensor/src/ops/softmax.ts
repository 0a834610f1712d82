import { recordOp } from '../engine';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { checkFloatArg, checkSameDType, checkShapeOf, runInto } from './nn-args';

/** x viewed with `dim` moved last (a 0-d tensor as [1]), the layout the kernels reduce over. */
function lastDimView(x: Tensor, dim: number): Tensor {
  if (x.ndim === 0) return new Tensor(x.storage, [1], x.dtype, [1], x.offset, x.device);
  const order = x.shape.map((_, i) => i).filter((i) => i !== dim);
  order.push(dim);
  return new Tensor(
    x.storage,
    order.map((d) => x.shape[d]!),
    x.dtype,
    order.map((d) => x.strides[d]!),
    x.offset,
    x.device,
  );
}

function runRows(op: string, inputs: readonly Tensor[], like: Tensor, dim: number): Tensor {
  const out = Tensor.empty(like.shape, like.dtype, like.device);
  const views = [...inputs, out].map((t) => lastDimView(t, dim));
  try {
    runInto(op, views.slice(0, -1), [views[views.length - 1]!]);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    for (const v of views) v.dispose();
  }
  return out;
}

/**
 * log(softmax(x)) along `dim`, computed in float32 from any float input (float64 in float64) and
 * rounded once to the input's dtype: x - max - log(sum(exp(x - max))), as PyTorch.
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const op = 'log_softmax';
  checkFloatArg(op, 'input', x);
  const d = normalizeAxis(op, dim, x.ndim);
  const out = runRows(op, [x], x, d);
  recordOp(op, [x], [out], { dim: d });
  return out;
}

/** The gradient of logSoftmax from its output: gradOut - exp(output) * sum(gradOut) along `dim`. */
export function logSoftmaxBackward(gradOut: Tensor, output: Tensor, dim: number): Tensor {
  const op = 'log_softmax_backward';
  checkFloatArg(op, 'gradOut', gradOut);
  checkFloatArg(op, 'output', output);
  checkSameDType(op, 'gradOut', gradOut, output.dtype);
  checkShapeOf(op, 'gradOut', gradOut, output.shape);
  const d = normalizeAxis(op, dim, output.ndim);
  return runRows(op, [gradOut, output], output, d);
}
