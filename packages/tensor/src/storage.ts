import { cudaIndex, type Device } from './device';
import { nativeError } from './errors';
import { native } from './native';

/**
 * A block of native memory shared by a tensor and its views. It is freed when the last tensor that
 * references it is disposed (or, as a backstop, garbage-collected).
 */
export class Storage {
  /** Tensors (views included) still holding this storage. */
  refs = 0;
  private freed = false;

  private constructor(
    readonly id: number,
    readonly bytes: number,
    readonly device: Device,
  ) {}

  static allocate(bytes: number, device: Device = 'cpu'): Storage {
    let id: number;
    try {
      id = native.alloc(bytes, cudaIndex(device));
    } catch (e) {
      // Out of memory (after the device cache was freed and the allocation retried) or a size the
      // binding refuses: a MantissaError (OutOfMemoryError, KernelError) like every other failure.
      const err = e as Error & { code?: string };
      throw nativeError('alloc', err.code ?? 'OUT_OF_MEMORY', err.message);
    }
    return new Storage(id, bytes, device);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0 && !this.freed) {
      this.freed = true;
      native.free(this.id);
    }
  }
}
