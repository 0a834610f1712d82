import { backendInfo, type Device } from '../../src/index';

/** CUDA devices this process sees (0 without a driver, a GPU, or a CUDA build). */
export const cudaDevices = backendInfo().cuda.devices;
export const hasCuda = cudaDevices > 0;

/** The devices a device-parameterised test runs on: 'cpu', plus 'cuda' when a GPU is present. */
export function devices(): Device[] {
  return hasCuda ? ['cpu', 'cuda'] : ['cpu'];
}
