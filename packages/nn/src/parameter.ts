import '@mantissa/autograd';
import { keep, Tensor } from '@mantissa/tensor';

/**
 * A tensor that a Module owns and trains: a leaf that requires grad (unless told otherwise), sharing the
 * storage, shape, strides and offset of the tensor it is built from (a view stays a view, which is how a
 * model's parameters can live in one flat buffer).
 *
 * A parameter lives until it is disposed (`module.dispose()` disposes them all): it is exempt from `tidy`
 * scopes, because a model built inside one outlives it.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    data.assertLive('Parameter');
    super(data.storage, data.shape, data.dtype, data.strides, data.offset, data.device);
    keep(this);
    if (requiresGrad) this.requiresGrad = true;
  }

  override toString(): string {
    return `Parameter(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, requiresGrad=${this.requiresGrad})`;
  }
}

export function isParameter(v: unknown): v is Parameter {
  return v instanceof Parameter;
}
