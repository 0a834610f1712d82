// The CUDA build without a GPU: the addon loads with or without CUDA compiled in, says why no device is
// usable, and CUDA requests fail with clear MantissaErrors. The stub and the build script are checked
// directly (a full MANTISSA_CUDA=0 rebuild would take minutes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  backendInfo,
  DeviceError,
  deviceMemory,
  NotCompiledWithCudaError,
  runKernel,
  synchronize,
  Tensor,
  tensor,
  zeros,
} from '../src/index';
import { native } from '../src/native';
import { hasCuda } from './helpers/devices';

const root = join(__dirname, '..');
const script = join(root, 'scripts', 'cuda-build.mjs');
// --dry-run: a test never compiles (nor overwrites build-cuda/).
const runScript = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [script, '--dry-run', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });

describe('the CUDA backend without a GPU', () => {
  it('the addon reports CUDA: compiled in when nvcc was found, and a reason whenever no device is usable', async () => {
    const { findNvcc } = await import('../scripts/cuda-build.mjs');
    const cuda = backendInfo().cuda;
    if (findNvcc() !== null && process.env.MANTISSA_CUDA !== '0') expect(cuda.compiled).toBe(true);
    expect(cuda.devices).toBeGreaterThanOrEqual(0);
    if (cuda.devices === 0) expect(cuda.reason).toMatch(/\w{8,}/);
  });

  it.skipIf(hasCuda)(
    "to('cuda'), creation on cuda and deviceMemory throw NotCompiledWithCudaError with the reason",
    () => {
      const reason = backendInfo().cuda.reason!;
      const t = tensor([1, 2, 3]);
      for (const fn of [
        () => t.to('cuda'),
        () => t.to({ device: 'cuda:0', dtype: 'float16' }),
        () => zeros([2], { device: 'cuda' }),
        () => deviceMemory('cuda'),
        () => synchronize('cuda:1'),
      ]) {
        expect(fn).toThrow(NotCompiledWithCudaError);
        expect(fn).toThrow(reason);
      }
      expect(() => deviceMemory('cpu')).toThrow(ArgumentError);
      t.dispose();
    },
  );

  it.skipIf(hasCuda)('the binding refuses device memory with a status code, never a crash', () => {
    const expected = backendInfo().cuda.compiled ? 'DEVICE' : 'NOT_COMPILED_WITH_CUDA';
    for (const fn of [() => native.alloc(16, 0), () => native.cudaMemory(0), () => native.synchronize(3)]) {
      let code: string | undefined;
      try {
        fn();
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code).toBe(expected);
    }
    expect(() => native.alloc(16, 64)).toThrow(/device index must be 0..63/);
  });
});

// The kernels kernels/cuda implements so far; every other ops.def entry answers NOT_IMPLEMENTED_ON_DEVICE.
const CUDA_KERNELS = [
  'fill',
  'arange',
  'rand_uniform',
  'rand_normal',
  'cast',
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'abs',
  'relu',
  'sigmoid',
  'tanh',
  'clamp',
  'isfinite',
  'isnan',
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'where',
  'sum',
  'mean',
  'max',
  'min',
  'argmax',
  'var',
  'all_finite',
  'relu_backward',
  'dropout',
  'dropout_backward',
  'log_softmax',
  'log_softmax_backward',
  'sgd_step',
  'adam_step',
  'unscale_check',
  'cross_entropy',
  'cross_entropy_backward',
  'batch_norm',
  'batch_norm_backward',
  'avg_pool2d',
  'avg_pool2d_backward',
  'adaptive_avg_pool2d',
  'adaptive_avg_pool2d_backward',
  'max_pool2d',
  'max_pool2d_backward',
  'conv2d',
  'conv2d_backward_input',
  'conv2d_backward_weight',
  'matmul',
];

describe.skipIf(!backendInfo().cuda.compiled)('the CUDA kernel table', () => {
  it('defines exactly the expected mt_cuda_k_ entry points, each named after an ops.def kernel', () => {
    const addon = join(root, 'build', 'Release', 'mantissa.node');
    const nm = spawnSync('nm', [addon], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (nm.status !== 0) return; // no binutils, or a prebuilt addon elsewhere
    const defined = [...nm.stdout.matchAll(/ T mt_cuda_k_(\w+)$/gm)].map((m) => m[1]).sort();
    const known = native.kernels().map((k) => k.name);
    expect(defined.filter((n) => !known.includes(n))).toEqual([]);
    expect(defined).toEqual([...CUDA_KERNELS].sort());
  });
});

describe('device checks before any kernel runs', () => {
  it('tensors on different devices in one op throw a DeviceError naming both', () => {
    const a = tensor([1, 2]);
    // A tensor that claims to live on cuda (its storage is host memory): the op layer (operand.ts) or
    // the engine must refuse the mix before the binding sees it, so this runs without a GPU.
    const b = new Tensor(a.storage, a.shape, a.dtype, a.strides, 0, 'cuda');
    for (const fn of [
      () => a.add(b),
      () => b.mul(a),
      () => a.where(a.gt(0), b),
      () => runKernel('add', [a, a, b], [0]),
    ]) {
      expect(fn).toThrow(DeviceError);
      expect(fn).toThrow(/expected device (cpu|cuda), got (cuda|cpu)/);
    }
    b.dispose();
    a.dispose();
  });
});

describe('scripts/cuda-build.mjs', () => {
  it('MANTISSA_CUDA=0 chooses the stub; MANTISSA_CUDA=1 without nvcc fails loudly', () => {
    const off = runScript({ MANTISSA_CUDA: '0' });
    expect(off.status).toBe(0);
    expect(off.stdout.trim()).toBe('0');
    const missing = runScript({
      MANTISSA_CUDA: '1',
      NVCC: '/nonexistent/nvcc',
      PATH: '/nonexistent',
      CUDA_HOME: '/nonexistent',
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/MANTISSA_CUDA=1 but nvcc was not found/);
  });

  it('without nvcc and no MANTISSA_CUDA it builds the stub', async () => {
    const { findNvcc } = await import('../scripts/cuda-build.mjs');
    const env = { PATH: '/nonexistent', NVCC: '/nonexistent/nvcc', CUDA_HOME: '/nonexistent' };
    if (findNvcc(env) !== null) return; // /usr/local/cuda exists: the default location is found
    const r = runScript({ ...env, MANTISSA_CUDA: '' });
    expect(r.stdout.trim()).toBe('0');
  });

  it('parses MANTISSA_CUDA_ARCHS', async () => {
    const { archs } = await import('../scripts/cuda-build.mjs');
    expect(archs({})).toEqual(['75', '80', '90']);
    expect(archs({ MANTISSA_CUDA_ARCHS: '80' })).toEqual(['80']);
    expect(archs({ MANTISSA_CUDA_ARCHS: 'sm_90, 75,80,75' })).toEqual(['75', '80', '90']);
    expect(() => archs({ MANTISSA_CUDA_ARCHS: 'ampere' })).toThrow(/compute capabilities/);
  });
});

describe('kernels/cuda/stub.cc', () => {
  it('defines every mt_cuda_* entry point of the ABI, each answering NOT_COMPILED_WITH_CUDA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-stub-'));
    const main = join(dir, 'main.cc');
    writeFileSync(
      main,
      `#include <cstdio>
#include "mantissa/abi.h"
int main() {
  const char* reason = nullptr;
  mt_error err;
  void* p = &err;
  size_t a, b, c;
  int bad = 0;
  bad += mt_cuda_device_count(&reason) != -MT_ERR_NOT_COMPILED_WITH_CUDA || reason == nullptr;
  bad += mt_cuda_alloc(0, 16, &p, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA || p != nullptr;
  bad += mt_cuda_copy_to_device(0, nullptr, nullptr, 0, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA;
  bad += mt_cuda_copy_to_host(0, nullptr, nullptr, 0, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA;
  bad += mt_cuda_copy_device(0, nullptr, 0, nullptr, 0, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA;
  bad += mt_cuda_synchronize(0, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA;
  bad += mt_cuda_memory(0, &a, &b, &c, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA;
  bad += mt_cuda_kernel_run(0, nullptr, 0, nullptr, 0, &err) != MT_ERR_NOT_COMPILED_WITH_CUDA;
  mt_cuda_free(0, nullptr, 0);
  mt_cuda_empty_cache();
  std::printf("%s|%d\\n", err.message, bad);
  return 0;
}
`,
    );
    const exe = join(dir, 'stub-check');
    const cc = spawnSync(
      'g++',
      [
        '-std=c++17',
        `-I${join(root, '..', '..', 'kernels', 'include')}`,
        main,
        join(root, '..', '..', 'kernels', 'cuda', 'stub.cc'),
        '-o',
        exe,
      ],
      { encoding: 'utf8' },
    );
    expect(cc.stderr).toBe('');
    const run = spawnSync(exe, { encoding: 'utf8' });
    expect(run.stdout.trim()).toMatch(/built without CUDA.*\|0$/);
  });
});
