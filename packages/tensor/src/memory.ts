import { checkDevice, cudaIndex, type Device } from './device';
import { ArgumentError, nativeError } from './errors';
import { native } from './native';
import type { Storage } from './storage';
import type { Tensor } from './tensor';

/**
 * Memory bookkeeping: tidy() scopes, the live-tensor count, and a FinalizationRegistry that frees the
 * native memory of tensors that were dropped without dispose() (a backstop, not the plan: the GC does
 * not see native memory, so it may run late).
 */

let liveTensors = 0;
const scopes: Set<Tensor>[] = [];

const backstop = new FinalizationRegistry<Storage>((storage) => {
  liveTensors--;
  storage.release();
});

/** @internal Called by the Tensor constructor. */
export function trackTensor(t: Tensor, storage: Storage): void {
  liveTensors++;
  storage.retain();
  backstop.register(t, storage, t);
  scopes[scopes.length - 1]?.add(t);
}

/** @internal Called by Tensor.dispose(). */
export function untrackTensor(t: Tensor, storage: Storage): void {
  liveTensors--;
  backstop.unregister(t);
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.delete(t)) break;
  storage.release();
}

export interface MemoryInfo {
  /** Tensors created and not yet disposed (views count separately). */
  numTensors: number;
  /** Native storages alive, and their bytes. */
  numStorages: number;
  numBytes: number;
  /** Freed large blocks kept for reuse (not counted in numBytes); `emptyCache()` releases them. */
  cachedBytes: number;
}

export function memory(): MemoryInfo {
  const m = native.memory();
  return { numTensors: liveTensors, numStorages: m.storages, numBytes: m.bytes, cachedBytes: m.cachedBytes };
}

/** Returns the cached blocks of freed tensors to the system (host and every CUDA device). */
export function emptyCache(): void {
  native.emptyCache();
}

export interface DeviceMemoryInfo {
  /** Bytes held by live tensors on the device (rounded up to the allocator's size classes). */
  allocatedBytes: number;
  /** Freed blocks kept for reuse; `emptyCache()` gives them back to the driver. */
  cachedBytes: number;
  /** The most `allocatedBytes` has been. */
  peakBytes: number;
}

function deviceCall<T>(op: string, device: Device, fn: (index: number) => T): T {
  const index = cudaIndex(checkDevice(op, device));
  if (index === undefined)
    throw new ArgumentError(op, 'device', "a CUDA device ('cuda' or 'cuda:N')", device);
  try {
    return fn(index);
  } catch (e) {
    const err = e as Error & { code?: string };
    throw nativeError(op, err.code ?? 'DEVICE', err.message);
  }
}

/** The CUDA caching allocator's accounting for one device. */
export function deviceMemory(device: Device = 'cuda'): DeviceMemoryInfo {
  return deviceCall('deviceMemory', device, (i) => native.cudaMemory(i));
}

/** Waits for every kernel launched on the device (reading a tensor's values does this by itself). */
export function synchronize(device: Device = 'cuda'): void {
  deviceCall('synchronize', device, (i) => native.synchronize(i));
}

type Container = Tensor | readonly Container[] | { readonly [k: string]: Container } | unknown;

function collect(
  value: Container,
  out: Set<Tensor>,
  isTensor: (v: unknown) => v is Tensor,
  seen = new Set<object>(),
  depth = 0,
): void {
  // `seen`: a container reachable twice (or a cycle) is walked once, not once per path.
  if (depth > 32 || value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, out, isTensor, seen, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, isTensor, seen, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, isTensor, seen, depth + 1);
  }
}

let tensorCheck: ((v: unknown) => v is Tensor) | null = null;
/** @internal */
export function setTensorCheck(check: (v: unknown) => v is Tensor): void {
  tensorCheck = check;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the tensors it returns (alone, or in
 * arrays, Maps and plain objects), which move to the enclosing scope.
 *
 * ```ts
 * const y = tidy(() => x.mul(2).add(1)); // the intermediate x.mul(2) is freed
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError('tidy', 'fn', 'a function', fn);
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new ArgumentError(
      'tidy',
      'fn',
      'a synchronous function (async functions cannot be tidied)',
      'a Promise',
    );
  }
  const kept = new Set<Tensor>();
  collect(result, kept, tensorCheck!);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy() scopes: it lives until dispose(). */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}
