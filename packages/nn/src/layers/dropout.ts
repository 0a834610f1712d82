import { dropout, type Tensor } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import { Module } from '../module';
import { checkInput } from './input-error';

/**
 * In training mode, zeroes each element with probability p and scales the rest by 1 / (1 - p), from the
 * global generator (reproducible under manualSeed); in eval mode, the identity.
 */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new NnError('Dropout', `expected p to be a probability in [0, 1), got ${fmtValue(p)}`);
    }
    this.p = p;
  }

  forward(x: Tensor): Tensor {
    return dropout(checkInput(this, x, [0, 1, 2, 3, 4, 5, 6, 7, 8], '(*)'), this.p, this.training).output;
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
