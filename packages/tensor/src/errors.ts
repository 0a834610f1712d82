/**
 * One base class for every error Mantissa throws on bad input, with subclasses that carry the op,
 * the expected and the actual value as fields (and name them in the message).
 */
const marker = Symbol.for('mantissa.error');

export class MantissaError extends Error {
  readonly [marker] = true;
  /** The op (or function) that rejected its input, e.g. `add`, `reshape`, `tensor`. */
  readonly op: string;

  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = new.target.name;
    this.op = op;
  }

  /** True for errors from any copy of the package (works across duplicated installs). */
  static isInstance(e: unknown): e is MantissaError {
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[marker] === true;
  }
}

export class ShapeError extends MantissaError {
  constructor(
    op: string,
    readonly expected: unknown,
    readonly actual: unknown,
    what = 'shape',
  ) {
    super(op, `expected ${what} ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

export class BroadcastError extends MantissaError {
  constructor(
    op: string,
    readonly lhs: readonly number[],
    readonly rhs: readonly number[],
  ) {
    super(op, `shapes ${fmt(lhs)} and ${fmt(rhs)} cannot be broadcast together`);
  }
}

export class DTypeError extends MantissaError {
  constructor(
    op: string,
    readonly expected: string | readonly string[],
    readonly actual: string,
  ) {
    super(
      op,
      `unsupported dtype ${actual} (expected ${Array.isArray(expected) ? expected.join(', ') : expected})`,
    );
  }
}

export class AxisError extends MantissaError {
  constructor(
    op: string,
    readonly axis: number,
    readonly ndim: number,
  ) {
    super(
      op,
      `axis ${axis} is out of range for a tensor of ${ndim} dims (expected ${-Math.max(ndim, 1)}..${Math.max(ndim, 1) - 1})`,
    );
  }
}

export class ArgumentError extends MantissaError {
  constructor(
    op: string,
    readonly argument: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(op, `expected ${argument} to be ${expected}, got ${fmt(actual)}`);
  }
}

export class DisposedError extends MantissaError {
  constructor(op: string) {
    super(
      op,
      'tensor is disposed (expected a live tensor; was it used after dispose() or outside its tidy scope?)',
    );
  }
}

export class DeviceError extends MantissaError {
  constructor(
    op: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(op, `expected device ${expected}, got ${actual}`);
  }
}

export class NotCompiledWithCudaError extends MantissaError {
  constructor(op: string, reason: string) {
    super(op, `device 'cuda' is not available: ${reason}`);
  }
}

/** A kernel refused its arguments; `code` is the native status (e.g. `SHAPE`, `UNSUPPORTED_DTYPE`). */
export class KernelError extends MantissaError {
  constructor(
    op: string,
    readonly code: string,
    message: string,
  ) {
    super(op, message.startsWith(`${op}: `) ? message.slice(op.length + 2) : message);
  }
}

/** A device (or the host) ran out of memory, after the cached blocks were freed and the allocation retried. */
export class OutOfMemoryError extends KernelError {}

/** The kernel exists on the cpu but the CUDA backend does not have it yet. */
export class NotImplementedOnDeviceError extends KernelError {}

/** @internal The MantissaError for a native status code (`code` from the binding). */
export function nativeError(op: string, code: string, message: string): KernelError {
  if (code === 'OUT_OF_MEMORY') return new OutOfMemoryError(op, code, message);
  if (code === 'NOT_IMPLEMENTED_ON_DEVICE') return new NotImplementedOnDeviceError(op, code, message);
  return new KernelError(op, code, message);
}

export function fmt(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(fmt).join(', ')}]`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length})`;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
