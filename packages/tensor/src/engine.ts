import { DTYPES } from './dtype';
import { DeviceError, DisposedError, KernelError, nativeError } from './errors';
import { native } from './native';
import type { Tensor } from './tensor';

/**
 * The one choke point between ops and kernels. An op validates its arguments, allocates outputs and
 * calls runKernel with a kernel name from kernels/ops.def; no op talks to the binding directly.
 */

const kernelIds = new Map<string, number>();
// One descriptor buffer reused by every call: per tensor id, dtype, ndim, offset, shape, strides.
/** The most tensors one kernel call takes (the binding's limit); multi-tensor ops split longer lists. */
export const MAX_KERNEL_TENSORS = 64;
const desc = new Float64Array(MAX_KERNEL_TENSORS * (4 + 2 * 8));
let attrBuf = new Float64Array(16);

function kernelId(name: string): number {
  let id = kernelIds.get(name);
  if (id === undefined) {
    id = native.kernelId(name);
    if (id < 0) throw new KernelError(name, 'UNKNOWN_KERNEL', `no native kernel named '${name}'`);
    kernelIds.set(name, id);
  }
  return id;
}

/** Runs kernel `name` on `tensors` (inputs then outputs) with numeric attributes. */
export function runKernel(name: string, tensors: readonly Tensor[], attrs: readonly number[] = []): void {
  if (tensors.length > MAX_KERNEL_TENSORS) {
    throw new KernelError(
      name,
      'INVALID_ARGUMENT',
      `at most ${MAX_KERNEL_TENSORS} tensors per call, got ${tensors.length}`,
    );
  }
  let p = 0;
  const device = tensors[0]?.device;
  for (const t of tensors) {
    if (t.isDisposed) throw new DisposedError(name);
    // One device per kernel: the native registry checks too, but this names the devices.
    if (t.device !== device) throw new DeviceError(name, String(device), t.device);
    desc[p++] = t.storage.id;
    desc[p++] = DTYPES[t.dtype].code;
    desc[p++] = t.shape.length;
    desc[p++] = t.offset;
    for (const s of t.shape) desc[p++] = s;
    for (const s of t.strides) desc[p++] = s;
  }
  if (attrs.length > attrBuf.length) attrBuf = new Float64Array(attrs.length * 2);
  for (let i = 0; i < attrs.length; i++) attrBuf[i] = attrs[i]!;
  try {
    native.run(kernelId(name), desc, tensors.length, attrBuf, attrs.length);
  } catch (e) {
    const err = e as Error & { code?: string };
    throw nativeError(name, err.code ?? 'UNKNOWN', err.message);
  }
}

/**
 * Called after every op with its inputs and outputs. @mantissa/autograd installs one to record the
 * tape; it is a no-op otherwise.
 */
export type OpHook = (
  op: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  attrs: Readonly<Record<string, unknown>>,
) => void;

let opHook: OpHook | null = null;

export function setOpHook(hook: OpHook | null): OpHook | null {
  const previous = opHook;
  opHook = hook;
  return previous;
}

/** @internal Ops call this once their outputs are computed. */
export function recordOp(
  op: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  attrs: Readonly<Record<string, unknown>> = {},
): void {
  if (opHook !== null) opHook(op, inputs, outputs, attrs);
}

/** The ISA the kernels use, the thread count, and CUDA availability. */
export function backendInfo(): ReturnType<typeof native.info> {
  return native.info();
}

export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
