import { type DType, type Tensor, tensor, tidy } from '../src/index';
import { type FixtureTensor, fromFixture } from './helpers/fixtures';

/** A view step applied to a fixture input (same order as gen_reduce.py's apply_view). */
export type ViewStep =
  | { permute: number[] }
  | { slice: [number, number, number, number] }
  | { expand: number[] };

/** An input built from gen_reduce.py's formula instead of stored bytes; `set` overwrites values. */
export interface FormulaInput {
  formula: true;
  dtype: DType;
  shape: number[];
  set?: [number, 'nan' | 'inf' | '-inf'][];
}

/**
 * gen_reduce.py's formula: ((i * 7919) mod 1009) / 1009 - 0.5 in float64, rounded to float32 (then cast
 * to the input dtype). Both sides compute the same correctly rounded operations, so no bytes need storing.
 */
export function formulaInput(gen: FormulaInput): Tensor {
  const n = gen.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = ((i * 7919) % 1009) / 1009 - 0.5;
  for (const [i, v] of gen.set ?? [])
    values[i] = v === 'nan' ? Number.NaN : v === 'inf' ? Infinity : -Infinity;
  const f = tensor(values, { dtype: 'float32', shape: gen.shape });
  if (gen.dtype === 'float32') return f;
  const x = f.to(gen.dtype);
  f.dispose();
  return x;
}

export function applyView(x: Tensor, view: readonly ViewStep[] | undefined): Tensor {
  for (const step of view ?? []) {
    if ('permute' in step) x = x.permute(step.permute);
    else if ('slice' in step) x = x.slice(...step.slice);
    else x = x.expand(step.expand);
  }
  return x;
}

export function buildInput(
  c: { gen?: FormulaInput; input?: number; x?: FixtureTensor; view?: ViewStep[] },
  inputs: readonly FixtureTensor[] = [],
): Tensor {
  const base = c.gen ? formulaInput(c.gen) : fromFixture(c.x ?? inputs[c.input!]!);
  return applyView(base, c.view);
}

const hex = (t: Tensor): string => {
  const d = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.bits() : t.data();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
};

/**
 * The raw bytes of a set of reductions of formula inputs: each layout driver (rows, columns,
 * per-output and split partials), every float dtype, sizes on both sides of the SIMD and chunk widths.
 * Compared across thread counts and instruction sets, which must agree bit for bit.
 */
export function probeReductions(): Record<string, string> {
  const out: Record<string, string> = {};
  const shapes: [number[], (number | number[] | undefined)[]][] = [
    [
      [3, 100003],
      [1, undefined],
    ],
    [[100003, 3], [0]],
    [
      [300, 257],
      [0, 1],
    ],
    [
      [65, 4097],
      [0, 1],
    ],
    [
      [7, 11, 13],
      [[0, 2], 1],
    ],
  ];
  for (const dtype of ['float32', 'float16', 'bfloat16', 'float64'] as const) {
    for (const [shape, axes] of shapes) {
      tidy(() => {
        const x = formulaInput({ formula: true, dtype, shape });
        const views: [string, Tensor][] = [['', x]];
        if (shape.length === 2) views.push([' T', x.permute([1, 0])]);
        for (const [vname, v] of views) {
          for (const axis of axes) {
            const key = `${dtype} [${shape}]${vname} axis=${axis}`;
            out[`sum ${key}`] = hex(v.sum(axis));
            out[`mean ${key}`] = hex(v.mean(axis));
            out[`var ${key}`] = hex(v.var(axis));
            out[`max ${key}`] = hex(v.max(axis));
            out[`min ${key}`] = hex(v.min(axis));
            if (typeof axis !== 'object') out[`argmax ${key}`] = hex(v.argmax(axis));
          }
          out[`allFinite ${dtype} [${shape}]${vname}`] = String(v.allFinite());
        }
      });
    }
  }
  return out;
}
