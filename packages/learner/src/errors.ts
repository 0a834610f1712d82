import { MantissaError } from '@mantissa/tensor';

/** Bad input to the Learner or its loop: a bad learning rate, an empty loader, a metric that is not a function. */
export class LearnerError extends MantissaError {
  constructor(
    op: string,
    readonly expected: unknown,
    readonly actual: unknown,
    what: string,
  ) {
    super(op, `${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

/** A checkpoint that cannot be read: missing, from another schema version, or not matching the model. */
export class CheckpointError extends MantissaError {
  readonly file: string;

  constructor(op: string, file: string, message: string, options: { cause?: unknown } = {}) {
    super(op, `${file}: ${message}`);
    this.file = file;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** A value for an error message: strings as they are, functions by name, the rest as JSON where possible. */
export function fmt(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`;
  if (typeof v === 'number' || v === undefined || v === null) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
