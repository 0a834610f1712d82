import { MantissaError } from '@mantissa/tensor';

/** A misuse of autograd (or a gradient that cannot be computed), naming the op and both values. */
export class AutogradError extends MantissaError {}

/** gradcheck found an analytic gradient that disagrees with central differences. */
export class GradcheckError extends AutogradError {
  constructor(
    readonly input: number,
    readonly element: number,
    readonly index: readonly number[],
    readonly numeric: number,
    readonly analytic: number,
    tolerance: number,
  ) {
    super(
      'gradcheck',
      `input ${input}, element ${element} (index [${index.join(', ')}]): expected the analytic gradient ` +
        `${analytic} to match the numeric one ${numeric} within ${tolerance}`,
    );
  }
}
