import { checkDevice, type Device } from '../device';
import { checkDType, DTYPES, type DType } from '../dtype';
import { recordOp, runKernel } from '../engine';
import { ArgumentError, MantissaError, nativeError } from '../errors';
import { native } from '../native';
import { Storage } from '../storage';
import { Tensor } from '../tensor';
import { isContiguous } from './views';

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

/**
 * @internal A contiguous copy of x on `device`, same dtype: a strided source is packed on its own
 * device first, then the bytes move in one copy (staged through pinned memory for host <-> device).
 */
export function toDevice(x: Tensor, device: Device): Tensor {
  const dense = isContiguous(x) ? x : castTo(x, x.dtype);
  const itemsize = DTYPES[x.dtype].itemsize;
  const bytes = x.numel * itemsize;
  let out: Tensor | undefined;
  try {
    out = new Tensor(Storage.allocate(bytes, device), x.shape, x.dtype, undefined, 0, device);
    native.copyStorage(out.storage.id, 0, dense.storage.id, dense.offset * itemsize, bytes);
  } catch (e) {
    out?.dispose();
    if (MantissaError.isInstance(e)) throw e; // out of memory from the allocator
    const err = e as Error & { code?: string };
    throw nativeError('to', err.code ?? 'DEVICE', err.message);
  } finally {
    if (dense !== x) dense.dispose();
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
  if (device === x.device) {
    const out = castTo(x, dtype);
    recordOp('cast', [x], [out], { dtype });
    return out;
  }
  // A device move, then the cast where it is cheapest to move less: narrow before leaving, widen after
  // arriving (the rounding is the same on both sides).
  const narrowing = DTYPES[dtype].itemsize < DTYPES[x.dtype].itemsize;
  const before = dtype !== x.dtype && narrowing ? castTo(x, dtype) : x;
  const moved = toDevice(before, device);
  if (before !== x) before.dispose();
  const out = moved.dtype === dtype ? moved : castTo(moved, dtype);
  if (out !== moved) moved.dispose();
  recordOp('to', [x], [out], { dtype, device });
  return out;
}
