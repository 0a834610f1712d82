import { MantissaError } from '@mantissa/tensor';

/** The base of every error @mantissa/fp16 throws. */
export class Fp16Error extends MantissaError {}

/** A bad option or argument: names the option, what was expected and what was given. */
export class Fp16OptionError extends Fp16Error {
  constructor(
    op: string,
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(op, `expected ${option} to be ${expected}, got ${fmt(actual)}`);
  }
}

/** Where a gradient first went non-finite: the parameter's name and the flat index of the element. */
export interface OverflowSite {
  name: string;
  index: number;
}

/**
 * An inf/NaN gradient that no smaller loss scale can avoid: the scale is at its floor (`minScale`), or
 * scaling is off (bf16, or `enabled: false`). Thrown instead of applying the gradient to the weights.
 */
export class LossScaleError extends Fp16Error {
  constructor(
    op: string,
    readonly scale: number,
    readonly minScale: number,
    readonly site: OverflowSite | null,
  ) {
    const where = site === null ? '' : ` (first in '${site.name}' at index ${site.index})`;
    super(
      op,
      `gradient overflow at loss scale ${scale}${where}, and the scale cannot go below ${minScale}: ` +
        "expected finite gradients (the model diverged, or try bfloat16; atMinScale: 'skip' keeps skipping)",
    );
  }
}

/** A state dict that does not fit: wrong schema version, a missing or malformed field. */
export class Fp16StateError extends Fp16Error {
  constructor(
    op: string,
    readonly key: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(op, `'${key}': expected ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

export function fmt(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v == null) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
