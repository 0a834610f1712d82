import { MantissaError } from '@mantissa/tensor';

/**
 * The base of every error @mantissa/callbacks throws: a callback that returned a key the loop state does
 * not have, a scheduler or plot given bad arguments. It is a MantissaError, so `MantissaError.isInstance(e)`
 * holds and the message starts with the op that refused its input.
 */
export class CallbackError extends MantissaError {}

/** A callback returned a key that is not part of the loop state (fastai raised a plain Exception). */
export class StateKeyError extends CallbackError {
  constructor(
    op: string,
    readonly key: string,
    readonly callback: string,
  ) {
    super(op, `${key} isn't a valid key in the state of the callbacks (returned by ${callback})`);
  }
}

/** An argument outside its domain, named with what was expected and what was passed. */
export class CallbackArgumentError extends CallbackError {
  constructor(
    op: string,
    readonly argument: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(op, `expected ${argument} to be ${expected}, got ${fmt(actual)}`);
  }
}

function fmt(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(fmt).join(', ')}]`;
  return String(v);
}
