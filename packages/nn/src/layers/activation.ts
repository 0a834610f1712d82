import { relu, type Tensor } from '@mantissa/tensor';
import { Module } from '../module';
import { checkInput } from './input-error';

/** max(x, 0) elementwise, as torch.nn.ReLU (never in place: autograd needs the output). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(checkInput(this, x, [0, 1, 2, 3, 4, 5, 6, 7, 8], '(*)'));
  }
}
