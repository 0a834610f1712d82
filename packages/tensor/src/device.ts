import { ArgumentError, NotCompiledWithCudaError } from './errors';
import { native } from './native';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * Canonical device name: 'cpu', 'cuda' (device 0), 'cuda:N'. Throws NotCompiledWithCudaError, naming
 * the reason (built without nvcc, no driver, no such device), when a CUDA device is not available.
 */
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
    return index === 0 ? 'cuda' : (device as Device);
  }
  throw new ArgumentError(op, 'device', "'cpu', 'cuda' or 'cuda:N'", device);
}

/** @internal The CUDA device index of a canonical device, undefined for the cpu. */
export function cudaIndex(device: Device): number | undefined {
  if (device === 'cpu') return undefined;
  return device === 'cuda' ? 0 : Number(device.slice(5));
}
