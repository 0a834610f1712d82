import type { DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, DTypeError, fmt, ShapeError } from '../errors';
import { broadcastShapes, contiguousStrides, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { kernelInput } from './broadcast';
import { resultType, sameDevice } from './operand';

/**
 * Matrix products on the `matmul` kernel (kernels/cpu/gemm.cc): float32, float16 and bfloat16 accumulate
 * in float32 and round once to the input dtype; float64 (for gradient checks) accumulates in float64.
 * Integer and bool operands are refused with a DTypeError (PyTorch's CPU matmul takes integers; nothing
 * here needs them). Operands are read through their strides: transposed, sliced and broadcast views cost
 * no copy (only a dtype promotion does).
 */

const MATMUL_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

function checkTensor(op: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new ArgumentError(op, name, 'a Tensor', v);
  return v.assertLive(op);
}

function computeDType(op: string, tensors: readonly Tensor[]): DType {
  sameDevice(op, tensors);
  const dtype = resultType(tensors);
  if (!MATMUL_DTYPES.includes(dtype)) throw new DTypeError(op, MATMUL_DTYPES, dtype);
  return dtype;
}

/** A view of the same storage with another shape and strides (not recorded: kernel plumbing). */
function restride(x: Tensor, shape: readonly number[], strides: readonly number[]): Tensor {
  return new Tensor(x.storage, shape, x.dtype, strides, x.offset, x.device);
}

/**
 * Runs the kernel on a [..., M, K] and b [..., K, N] (batch dims already equal or broadcastable) into a
 * new tensor of `resultShape` (the full [..., M, N] with size-1 dims dropped as matmul requires). With
 * `bias` the output starts as the broadcast bias and the kernel adds the product to it (beta = 1), so
 * the sum is rounded once.
 */
function product(
  op: string,
  a: Tensor,
  b: Tensor,
  dtype: DType,
  resultShape: readonly number[],
  bias?: Tensor,
): Tensor {
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const m = a.shape.at(-2)!;
  const k = a.shape.at(-1)!;
  const n = b.shape.at(-1)!;
  const result = Tensor.empty(resultShape, dtype, a.device);
  const full = [...batch, m, n];
  // Views only where the kernel needs another shape or dtype: each Tensor costs a tracked object.
  const out = sameShape(resultShape, full) ? result : restride(result, full, contiguousStrides(full));
  const made: Tensor[] = [];
  const input = (x: Tensor, shape: number[]): Tensor => {
    if (x.dtype === dtype && sameShape(x.shape, shape)) return x;
    const t = kernelInput(x, shape, dtype);
    made.push(t);
    return t;
  };
  try {
    const ka = input(a, [...batch, m, k]);
    const kb = input(b, [...batch, k, n]);
    if (bias !== undefined) runKernel('cast', [input(bias, full), out]);
    runKernel('matmul', [ka, kb, out], [1, bias === undefined ? 0 : 1]);
  } catch (e) {
    result.dispose();
    throw e;
  } finally {
    if (out !== result) out.dispose();
    for (const t of made) t.dispose();
  }
  return result;
}

function innerMismatch(op: string, a: Tensor, b: Tensor, bRows: string): ShapeError {
  return new ShapeError(
    op,
    `${bRows} = ${a.shape.at(-1)} to match a ${fmt(a.shape)}`,
    `b ${fmt(b.shape)}`,
    'inner dimension',
  );
}

/**
 * The matrix product with PyTorch's `torch.matmul` semantics: 1-D · 1-D is a dot product (a 0-d
 * tensor); 2-D · 2-D a matrix product; a 1-D operand is treated as a row (left) or column (right)
 * vector and that dim is dropped from the result; higher ranks are stacks of matrices whose batch dims
 * broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  a = checkTensor(op, 'a', a);
  b = checkTensor(op, 'b', b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ArgumentError(op, 'a and b', 'tensors of at least 1 dim', `${a.ndim}-d and ${b.ndim}-d`);
  }
  const dtype = computeDType(op, [a, b]);
  const k = a.shape.at(-1)!;
  const bRows = b.ndim === 1 ? b.shape[0]! : b.shape.at(-2)!;
  if (bRows !== k) throw innerMismatch(op, a, b, b.ndim === 1 ? 'b.shape[0]' : 'b.shape[-2]');
  // 1-D operands become a [1, K] row or a [K, 1] column (views); their unit dim is not in the result.
  const a2 = a.ndim === 1 ? restride(a, [1, k], [0, a.strides[0]!]) : a;
  const b2 = b.ndim === 1 ? restride(b, [k, 1], [b.strides[0]!, 0]) : b;
  try {
    const batch = broadcastShapes(op, a2.shape.slice(0, -2), b2.shape.slice(0, -2));
    const shape = [...batch];
    if (a.ndim > 1) shape.push(a.shape.at(-2)!);
    if (b.ndim > 1) shape.push(b.shape.at(-1)!);
    const result = product(op, a2, b2, dtype, shape);
    recordOp(op, [a, b], [result]);
    return result;
  } finally {
    if (a2 !== a) a2.dispose();
    if (b2 !== b) b2.dispose();
  }
}

/** Batched matrix product of two 3-D tensors [B, M, K] · [B, K, N] (no broadcasting, as torch.bmm). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const op = 'bmm';
  a = checkTensor(op, 'a', a);
  b = checkTensor(op, 'b', b);
  if (a.ndim !== 3) throw new ShapeError(op, 'a 3-d tensor a', `a ${fmt(a.shape)}`, 'rank of');
  if (b.ndim !== 3) throw new ShapeError(op, 'a 3-d tensor b', `b ${fmt(b.shape)}`, 'rank of');
  if (a.shape[0] !== b.shape[0]) {
    throw new ShapeError(op, `b.shape[0] = ${a.shape[0]} as a ${fmt(a.shape)}`, `b ${fmt(b.shape)}`, 'batch');
  }
  if (b.shape[1] !== a.shape[2]) throw innerMismatch(op, a, b, 'b.shape[1]');
  const dtype = computeDType(op, [a, b]);
  const result = product(op, a, b, dtype, [a.shape[0]!, a.shape[1]!, b.shape[2]!]);
  recordOp(op, [a, b], [result]);
  return result;
}

/**
 * `x · wᵀ + bias` as torch.nn.functional.linear: x [..., in], weight [out, in], bias [out]. The
 * transpose is a view (no copy); the bias is added to the float32 accumulator before the one rounding.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'linear';
  x = checkTensor(op, 'x', x);
  weight = checkTensor(op, 'weight', weight);
  const b = bias === undefined || bias === null ? undefined : checkTensor(op, 'bias', bias);
  if (x.ndim === 0) throw new ArgumentError(op, 'x', 'a tensor of at least 1 dim', '0-d');
  if (weight.ndim !== 2)
    throw new ShapeError(op, 'a 2-d weight [out, in]', `weight ${fmt(weight.shape)}`, 'rank of');
  const [outF, inF] = weight.shape as [number, number];
  if (x.shape.at(-1) !== inF) {
    throw new ShapeError(
      op,
      `x.shape[-1] = ${inF} to match weight ${fmt(weight.shape)}`,
      `x ${fmt(x.shape)}`,
      'inner dimension',
    );
  }
  if (b !== undefined && !(b.ndim === 1 && b.shape[0] === outF)) {
    throw new ShapeError(op, `bias [${outF}] for weight ${fmt(weight.shape)}`, `bias ${fmt(b.shape)}`);
  }
  const inputs = b === undefined ? [x, weight] : [x, weight, b];
  const dtype = computeDType(op, inputs);
  const x2 = x.ndim === 1 ? restride(x, [1, inF], [0, x.strides[0]!]) : x;
  const wT = restride(weight, [inF, outF], [weight.strides[1]!, weight.strides[0]!]);
  try {
    const result = product(op, x2, wT, dtype, [...x.shape.slice(0, -1), outF], b);
    recordOp(op, inputs, [result], { bias: b !== undefined });
    return result;
  } finally {
    if (x2 !== x) x2.dispose();
    wT.dispose();
  }
}

/**
 * @internal `out = alpha · (a b) + beta · out` in place, for gradient accumulation (linear/conv backward):
 * a [..., M, K], b [..., K, N] (batch dims broadcast to out's), out [..., M, N] of their dtype, any strides
 * (it must not overlap a or b). With beta = 0, out is not read. Not recorded for autograd.
 */
export function matmulInto(out: Tensor, a: Tensor, b: Tensor, alpha = 1, beta = 0): Tensor {
  const op = 'matmulInto';
  out = checkTensor(op, 'out', out);
  a = checkTensor(op, 'a', a);
  b = checkTensor(op, 'b', b);
  if (a.ndim < 2 || b.ndim < 2 || out.ndim < 2) {
    throw new ArgumentError(
      op,
      'a, b and out',
      'tensors of at least 2 dims',
      `${a.ndim}-d, ${b.ndim}-d, ${out.ndim}-d`,
    );
  }
  const dtype = computeDType(op, [a, b]);
  if (out.dtype !== dtype) throw new DTypeError(op, dtype, out.dtype);
  if (b.shape.at(-2) !== a.shape.at(-1)) throw innerMismatch(op, a, b, 'b.shape[-2]');
  const batch = out.shape.slice(0, -2);
  const [m, n] = [a.shape.at(-2)!, b.shape.at(-1)!];
  const want = [
    ...broadcastShapes(op, broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2)), batch),
    m,
    n,
  ];
  if (want.length !== out.ndim || want.some((s, i) => s !== out.shape[i]))
    throw new ShapeError(op, want, out.shape);
  const k = a.shape.at(-1)!;
  const inputs = [kernelInput(a, [...batch, m, k], dtype), kernelInput(b, [...batch, k, n], dtype)];
  try {
    runKernel('matmul', [inputs[0]!, inputs[1]!, out], [alpha, beta]);
  } finally {
    for (const t of inputs) t.dispose();
  }
  return out;
}
