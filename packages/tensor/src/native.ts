import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The typed surface of the native addon (packages/tensor/native/binding.cc). */
export interface NativeBinding {
  /** Host memory, or device memory on cuda:cudaIndex (through the caching allocator). */
  alloc(bytes: number, cudaIndex?: number): number;
  free(id: number): boolean;
  copyIn(id: number, byteOffset: number, src: ArrayBufferView): void;
  copyOut(id: number, byteOffset: number, dst: ArrayBufferView): void;
  /** Between any two storages, host or device; a copy to the host synchronises the device. */
  copyStorage(
    dstId: number,
    dstByteOffset: number,
    srcId: number,
    srcByteOffset: number,
    bytes: number,
  ): void;
  cudaMemory(cudaIndex: number): { allocatedBytes: number; cachedBytes: number; peakBytes: number };
  synchronize(cudaIndex: number): void;
  kernelId(name: string): number;
  kernels(): { name: string; arity: number }[];
  run(kernel: number, desc: Float64Array, ntensors: number, attrs: Float64Array, nattrs: number): void;
  info(): {
    isa: string;
    threads: number;
    /**
     * `emulated`: MANTISSA_CUDA_EMULATE=1 was set and no real device exists, so 'cuda' is one device
     * emulated on the host (same allocator accounting, CPU kernels): it checks placement, not GPU numbers.
     * blas: the cuBLASLt library the CUDA GEMM loaded (its path), or why none is; null without a device.
     * gemmPath: what the last CUDA GEMM ran ("cublaslt", "wmma", "simt"; "none" before the first).
     */
    cuda: {
      compiled: boolean;
      devices: number;
      emulated: boolean;
      reason: string | null;
      blas: string | null;
      gemmPath: string;
    };
  };
  memory(): { storages: number; bytes: number; cachedBytes: number };
  emptyCache(): void;
  setNumThreads(n: number): void;
}

function packageRoot(): string {
  // src/native.ts in tests, dist/index.{js,cjs} when built: the package root is the first parent with a
  // package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('mantissa: cannot find the @mantissa/tensor package root');
    dir = up;
  }
  return dir;
}

function load(): NativeBinding {
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  try {
    return require('node-gyp-build')(root) as NativeBinding;
  } catch (e) {
    // Without node_modules (e.g. the GPU machine's copy of the tree), the addon built in place still loads.
    const built = join(root, 'build', 'Release', 'mantissa.node');
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && existsSync(built))
      return require(built) as NativeBinding;
    throw new Error(
      `mantissa: the native addon is not built (${(e as Error).message.split('\n')[0]}). ` +
        `Run \`pnpm install\` or \`node scripts/native.mjs rebuild\` in ${root}.`,
    );
  }
}

export const native: NativeBinding = load();
