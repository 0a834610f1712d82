import { ArgumentError, NotCompiledWithCudaError } from './errors';
import { native } from './native';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** Canonical device name: 'cpu', 'cuda' (device 0), 'cuda:N'. Throws when the device is not available. */
export function checkDevice(op: string, device: unknown): Device {
  if (device === undefined || device === 'cpu') return 'cpu';
  if (typeof device === 'string' && /^cuda(:\d+)?$/.test(device)) {
    const cuda = native.info().cuda;
    if (!cuda.compiled) throw new NotCompiledWithCudaError(op, cuda.reason ?? 'not compiled with CUDA');
    const index = device === 'cuda' ? 0 : Number(device.slice(5));
    if (index >= cuda.devices) {
      throw new NotCompiledWithCudaError(
        op,
        `CUDA device ${index} requested but ${cuda.devices} device(s) found${cuda.reason ? ` (${cuda.reason})` : ''}`,
      );
    }
    // The CUDA kernels are a later addition: until they land, a CUDA tensor cannot be created.
    throw new NotCompiledWithCudaError(op, 'the CUDA backend has no kernels in this build');
  }
  throw new ArgumentError(op, 'device', "'cpu', 'cuda' or 'cuda:N'", device);
}
