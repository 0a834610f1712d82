import { DTYPES, isTensor, type Tensor, tensor, tidy } from '@mantissa/tensor';
import { runBackward } from './engine';
import { AutogradError, GradcheckError } from './errors';
import { enableGrad, noGrad } from './grad-mode';
import { metaOf, peekMeta } from './meta';

export interface GradcheckOptions {
  /** Half-step of the central differences (default 1e-6, for float64 inputs). */
  eps?: number;
  /** |analytic - numeric| <= atol + rtol * |numeric| (defaults 1e-5 and 1e-3). */
  atol?: number;
  rtol?: number;
}

/** A small deterministic generator (mulberry32): the projection must not depend on Math.random. */
function projection(n: number): Float64Array {
  let s = 0x5eed1234;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    // In [0.5, 1] with a random sign: no element of the output is projected away.
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    v[i] = (u < 0.5 ? -1 : 1) * (0.5 + (u % 0.5));
  }
  return v;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return index;
}

/** Writes x[index] = value through a one-element view (x may be non-contiguous); returns the stored value. */
function setElement(x: Tensor, index: readonly number[], value: number): number {
  return noGrad(() =>
    tidy(() => {
      let v = x;
      index.forEach((i, d) => {
        v = v.narrow(d, i, 1);
      });
      v.fill_(value);
      return v.item() as number;
    }),
  );
}

function output(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor {
  const y = fn(...inputs);
  if (!isTensor(y) || !DTYPES[y.dtype].isFloat) {
    throw new AutogradError(
      'gradcheck',
      `expected fn to return a float Tensor, got ${isTensor(y) ? y.dtype : typeof y}`,
    );
  }
  return y;
}

/**
 * Checks the gradients of `fn` with respect to the inputs that require grad against central
 * differences: the analytic vᵀJ from one backward (v a fixed random projection of the output) must
 * match (f(x + eps) - f(x - eps)) / 2eps of vᵀf for every input element. Use float64 inputs; fn must
 * be deterministic (reseed inside it for dropout). Throws GradcheckError on the first mismatch.
 */
export function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): true {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3 } = options;
  if (!Array.isArray(inputs) || !inputs.every(isTensor)) {
    throw new AutogradError('gradcheck', 'expected inputs to be an array of Tensors');
  }
  const wrt = inputs.map((_, i) => i).filter((i) => inputs[i]!.requiresGrad);
  if (wrt.length === 0)
    throw new AutogradError('gradcheck', 'expected at least one input that requires grad, got none');

  const savedGrads = wrt.map((i) => peekMeta(inputs[i]!)?.grad ?? null);
  try {
    for (const i of wrt) metaOf(inputs[i]!).grad = null;
    let v: Float64Array = new Float64Array(0);
    const analytic = tidy(() => {
      const y = enableGrad(() => output(fn, inputs));
      v = projection(y.numel);
      if (y.requiresGrad)
        runBackward([y], [tensor(v, { dtype: y.dtype, shape: y.shape, device: y.device })], false);
      return wrt.map((i) => {
        const g = inputs[i]!.grad;
        const values =
          g === null ? new Float64Array(inputs[i]!.numel) : Float64Array.from(g.data() as ArrayLike<number>);
        g?.dispose();
        metaOf(inputs[i]!).grad = null;
        return values;
      });
    });
    const project = (): number =>
      noGrad(() =>
        tidy(() => {
          const d = output(fn, inputs).data();
          let s = 0;
          for (let j = 0; j < d.length; j++) s += v[j]! * Number(d[j]);
          return s;
        }),
      );
    wrt.forEach((inputIndex, k) => {
      const x = inputs[inputIndex]!;
      const original = Float64Array.from(x.data() as ArrayLike<number>);
      for (let e = 0; e < x.numel; e++) {
        const index = unravel(e, x.shape);
        const x0 = original[e]!;
        let numeric: number;
        try {
          const hi = setElement(x, index, x0 + eps);
          const fHi = project();
          const lo = setElement(x, index, x0 - eps);
          const fLo = project();
          numeric = (fHi - fLo) / (hi - lo);
        } finally {
          setElement(x, index, x0);
        }
        const a = analytic[k]![e]!;
        const tol = atol + rtol * Math.abs(numeric);
        if (!(Math.abs(a - numeric) <= tol)) throw new GradcheckError(inputIndex, e, index, numeric, a, tol);
      }
    });
  } finally {
    wrt.forEach((i, k) => {
      metaOf(inputs[i]!).grad = savedGrads[k]!;
    });
  }
  return true;
}
