import { MantissaError } from '@mantissa/tensor';

/**
 * The base of every error @mantissa/nn throws on bad input (modules, layers, losses, safetensors I/O).
 * It is a MantissaError, so `MantissaError.isInstance(e)` and `instanceof MantissaError` hold; the
 * message starts with the op (or function) that refused its input.
 */
export class NnError extends MantissaError {}

/**
 * A safetensors file (or buffer) that cannot be read or a state dict that cannot be written. Names the
 * file (`<memory>` for in-memory bytes), the tensor when one is at fault, and what was expected
 * against what was found.
 */
export class SafetensorsError extends NnError {
  constructor(
    op: string,
    readonly file: string,
    readonly tensor: string | null,
    readonly expected: unknown,
    readonly actual: unknown,
    what: string,
  ) {
    super(
      op,
      `${file}${tensor === null ? '' : `: tensor '${tensor}'`}: ${what}: expected ${fmtValue(expected)}, got ${fmtValue(actual)}`,
    );
  }
}

/**
 * A state dict that does not fit a module: a missing or unexpected key, or a tensor whose shape or
 * dtype differs from the parameter it would replace.
 */
export class StateDictError extends NnError {
  constructor(
    op: string,
    readonly key: string,
    readonly expected: unknown,
    readonly actual: unknown,
    what: string,
  ) {
    super(op, `'${key}': ${what}: expected ${fmtValue(expected)}, got ${fmtValue(actual)}`);
  }
}

/**
 * A class-index target outside 0..numClasses-1 that is not the ignore index (a loss would otherwise
 * read past its row of logits). Names the flat position in the target and the value found.
 */
export class ClassIndexError extends NnError {
  constructor(
    op: string,
    readonly index: number,
    readonly value: number,
    readonly numClasses: number,
    readonly ignoreIndex: number,
  ) {
    super(
      op,
      `target at flat index ${index}: expected a class index in 0..${numClasses - 1} (or ignoreIndex ${ignoreIndex}), got ${value}`,
    );
  }
}

/** Formats a value for a message: arrays as [a, b], strings bare, objects as JSON. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(fmtValue).join(', ')}]`;
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v !== 'object' || v === null) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
