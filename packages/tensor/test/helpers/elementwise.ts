// Runs the cases of gen_elementwise.py: builds the operands (tensors with views, scalars, large inputs
// rebuilt from a formula), applies the op through the public API, and checks the result.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import * as api from '../../src/index';
import { type DType, MantissaError, type Operand, type Tensor, tensor, tidy } from '../../src/index';
import {
  expectMatches,
  type FixtureTensor,
  fixtureValues,
  fromFixture,
  halfUlps,
  loadFixture,
  type Tolerance,
} from './fixtures';

type ViewStep =
  | ['T']
  | ['slice', number, number, number, number]
  | ['expand', number[]]
  | ['permute', number[]];
type Scalar = number | boolean | 'nan' | 'inf' | '-inf';

export type CaseArg =
  | { tensor: FixtureTensor; view?: ViewStep[] }
  | { scalar: Scalar }
  | { lcg: [number, number]; n: number; dtype: DType; abs?: boolean };

export interface Hashed {
  sha256: string;
  dtype: DType;
  shape: number[];
  sample: FixtureTensor;
  step: number;
}

export interface ElementwiseCase {
  id: string;
  op: string;
  args: CaseArg[];
  expected: FixtureTensor | Hashed | { error: string };
  tol?: Tolerance;
  kwargs?: { min: Scalar | null; max: Scalar | null };
  inplace?: boolean;
}

export function loadCases(
  name: 'elementwise_unary' | 'elementwise_binary' | 'elementwise_misc',
): ElementwiseCase[] {
  return loadFixture<ElementwiseCase>(name).cases;
}

function scalarValue(s: Scalar): number | boolean {
  if (s === 'nan') return Number.NaN;
  if (s === 'inf') return Number.POSITIVE_INFINITY;
  if (s === '-inf') return Number.NEGATIVE_INFINITY;
  return s;
}

function applyView(t: Tensor, view: readonly ViewStep[] = []): Tensor {
  for (const step of view) {
    if (step[0] === 'T') t = t.transpose(0, 1);
    else if (step[0] === 'slice') t = t.slice(step[1], step[2], step[3], step[4]);
    else if (step[0] === 'expand') t = t.expand(step[1]);
    else t = t.permute(step[1]);
  }
  return t;
}

/** The generator's lcg(): float32 values in [-8, 8), exactly as numpy computes them. */
export function lcgValues(n: number, mul: number, add: number): Float32Array {
  const out = new Float32Array(n);
  const mulHi = Math.floor(mul / 65536);
  const mulLo = mul % 65536;
  for (let i = 0; i < n; i++) {
    // (i * mul + add) mod 2^32 without leaving exact double arithmetic.
    const k = (((i * mulHi) % 65536) * 65536 + i * mulLo + add) % 4294967296;
    out[i] = (k / 4294967296) * 16 - 8;
  }
  return out;
}

/** Operands of a case: tensors (views applied) or JS scalars. Also returns the base of a viewed tensor. */
export function buildArgs(args: readonly CaseArg[]): { operands: Operand[]; bases: (Tensor | null)[] } {
  const operands: Operand[] = [];
  const bases: (Tensor | null)[] = [];
  for (const a of args) {
    if ('scalar' in a) {
      operands.push(scalarValue(a.scalar));
      bases.push(null);
    } else if ('lcg' in a) {
      let x = tensor(lcgValues(a.n, a.lcg[0], a.lcg[1])).to(a.dtype);
      if (a.abs) x = x.abs();
      operands.push(x);
      bases.push(x);
    } else {
      const base = fromFixture(a.tensor);
      operands.push(applyView(base, a.view));
      bases.push(base);
    }
  }
  return { operands, bases };
}

const bound = (v: Scalar | null | undefined) =>
  v === null || v === undefined ? null : (scalarValue(v) as number);

/** Applies the case's op; for in-place ops returns the base of self (what the expected value describes). */
export function runCase(c: ElementwiseCase): Tensor {
  const { operands, bases } = buildArgs(c.args);
  const [a, b, third] = operands;
  const self = a as Tensor;
  const fns = api as unknown as Record<string, (...xs: unknown[]) => Tensor>;
  if (c.inplace) {
    const method = c.op as 'add_' | 'sub_' | 'mul_' | 'div_' | 'copy_' | 'fill_' | 'zero_' | 'clamp_';
    let returned: Tensor;
    if (method === 'zero_') returned = self.zero_();
    else if (method === 'clamp_') returned = self.clamp_(bound(c.kwargs?.min), bound(c.kwargs?.max));
    else if (method === 'fill_') returned = self.fill_(b as number);
    else returned = self[method](b as number | Tensor);
    expect(returned, `${c.id}: an in-place op returns self`).toBe(self);
    return bases[0]!;
  }
  if (c.op === 'clamp') return self.clamp(bound(c.kwargs?.min), bound(c.kwargs?.max));
  if (c.op === 'where') return api.where(a as Tensor, b!, third!);
  if (b === undefined) return (self as unknown as Record<string, () => Tensor>)[c.op]!.call(self);
  return fns[c.op]!(a, b);
}

function sha256(t: Tensor): string {
  const raw = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : t.data();
  return createHash('sha256')
    .update(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))
    .digest('hex');
}

/** Runs one case and checks it against PyTorch. */
export function checkCase(c: ElementwiseCase): void {
  tidy(() => {
    const e = c.expected;
    if ('error' in e) {
      let thrown: unknown;
      try {
        runCase(c);
      } catch (err) {
        thrown = err;
      }
      expect(
        MantissaError.isInstance(thrown),
        `${c.id}: expected a MantissaError, got ${String(thrown)}`,
      ).toBe(true);
      expect((thrown as Error).name).toBe(e.error);
      expect((thrown as Error).message).toContain(`${c.op}:`);
      return;
    }
    const out = runCase(c);
    if ('sha256' in e) {
      expect(out.dtype).toBe(e.dtype);
      expect(out.shape).toEqual(e.shape);
      const flat = out.flatten();
      const sample = flat.slice(0, 0, undefined, e.step).contiguous();
      expectMatches(sample, e.sample, c.tol ?? {}, `${c.id} (sample)`);
      // Within tolerance the sample can pass while other elements differ: the hash is the strict check.
      if (c.tol === undefined) expect(sha256(out), `${c.id}: sha256 of the result`).toBe(e.sha256);
      return;
    }
    expectMatches(out, e, c.tol ?? {}, c.id);
    expectSameZeros(out, e, c.id);
  });
}

/** expectMatches treats +0 and -0 as equal; the elementwise ops must get the sign of zero right too. */
function expectSameZeros(out: Tensor, e: FixtureTensor, label: string): void {
  if (e.dtype === 'int32' || e.dtype === 'bool') return;
  const want = fixtureValues(e);
  const isHalf = e.dtype === 'float16' || e.dtype === 'bfloat16';
  const got = isHalf ? out.bits() : out.data();
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    const wz = isHalf ? (w & 0x7fff) === 0 : w === 0;
    if (!wz) continue;
    const same = isHalf ? w === g : Object.is(w, g);
    if (!same)
      expect.fail(
        `${label}: element ${i} is ${isHalf ? `0x${g.toString(16)}` : g} but PyTorch gives ${Object.is(w, -0) || w === 0x8000 ? '-0' : '+0'}`,
      );
  }
}

/** How many elements of a case's result differ at all from PyTorch (to see what a tolerance covers). */
export function inexactCount(c: ElementwiseCase): number {
  return tidy(() => {
    const e = c.expected;
    if ('error' in e || 'sha256' in e) return 0;
    const out = runCase(c);
    const want = fixtureValues(e);
    const got = e.dtype === 'float16' || e.dtype === 'bfloat16' ? out.bits() : out.data();
    let n = 0;
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      const same =
        e.dtype === 'float16' || e.dtype === 'bfloat16'
          ? halfUlps(w, g, e.dtype) === 0
          : Object.is(w, g) || (Number.isNaN(w) && Number.isNaN(g));
      if (!same) n++;
    }
    return n;
  });
}
