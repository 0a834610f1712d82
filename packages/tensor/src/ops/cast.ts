import { checkDevice, type Device } from '../device';
import { checkDType, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError } from '../errors';
import { Tensor } from '../tensor';

/** @internal A contiguous copy of x in `dtype` (exact IEEE rounding to nearest even). */
export function castTo(x: Tensor, dtype: DType): Tensor {
  const out = Tensor.empty(x.shape, dtype, x.device);
  try {
    runKernel('cast', [x, out]);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** A contiguous copy with its own storage. */
export function clone(x: Tensor): Tensor {
  x.assertLive('clone');
  const out = castTo(x, x.dtype);
  recordOp('clone', [x], [out]);
  return out;
}

/**
 * Converts to another dtype and/or device. Returns a new view of the same storage when nothing
 * changes (as PyTorch returns self).
 */
export function to(x: Tensor, target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
  x.assertLive('to');
  let dtype: DType = x.dtype;
  let device: Device = x.device;
  if (typeof target === 'string') {
    if (target === 'cpu' || target.startsWith('cuda')) device = checkDevice('to', target);
    else dtype = checkDType('to', target);
  } else if (typeof target === 'object' && target !== null) {
    if (target.dtype !== undefined) dtype = checkDType('to', target.dtype);
    if (target.device !== undefined) device = checkDevice('to', target.device);
  } else {
    throw new ArgumentError('to', 'target', 'a dtype, a device or { dtype, device }', target);
  }
  if (dtype === x.dtype && device === x.device) {
    const out = new Tensor(x.storage, x.shape, x.dtype, x.strides, x.offset, x.device);
    recordOp('contiguous', [x], [out]);
    return out;
  }
  const out = castTo(x, dtype);
  recordOp('cast', [x], [out], { dtype });
  return out;
}
