import { MantissaError } from '@mantissa/tensor';

/** The base of every error @mantissa/optim throws on bad input: a bad hyper-parameter or state dict. */
export class OptimError extends MantissaError {
  constructor(
    op: string,
    readonly expected: unknown,
    readonly actual: unknown,
    what: string,
  ) {
    super(op, `${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

function fmt(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
