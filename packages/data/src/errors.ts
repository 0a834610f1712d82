import { MantissaError } from '@mantissa/tensor';

/**
 * Bad data or a data source that cannot be read: a missing or corrupt file, a malformed MNIST IDX file,
 * images of different sizes in one batch, a dataset item the default collate cannot stack.
 * `file` names the file at fault when there is one (it is in the message too).
 */
export class DataError extends MantissaError {
  readonly file: string | undefined;

  constructor(op: string, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(op, message);
    this.file = options.file;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The message of whatever was thrown, for wrapping a library error into a DataError. */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
