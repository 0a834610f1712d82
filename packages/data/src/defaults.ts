import { ArgumentError, type Device } from '@mantissa/tensor';

const DEVICE = /^(cpu|cuda(:\d+)?)$/;

/** @internal The device MANTISSA_DEVICE names ('cpu' when unset or empty). */
export function deviceFromEnv(env: string | undefined): Device {
  if (env === undefined || env === '') return 'cpu';
  if (!DEVICE.test(env))
    throw new ArgumentError('defaults', 'MANTISSA_DEVICE', "'cpu', 'cuda' or 'cuda:N'", env);
  return env as Device;
}

/**
 * Package-wide defaults, as fastai's `defaults`: `defaults.device` is where a DataBunch puts its batches
 * (and so where a Learner puts its model) when none is given. 'cpu' unless the environment variable
 * MANTISSA_DEVICE says otherwise when the package loads; assign it to change it for what follows.
 */
export const defaults: { device: Device } = { device: deviceFromEnv(process.env.MANTISSA_DEVICE) };
