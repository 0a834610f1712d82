"""PyTorch's CUDA matmul throughput for the products of bench/cuda-gemm.mjs, as the same JSON lines
{op, dtype, n, tflops, path, ms}: square n x n torch.matmul on cuda:0, warm-up, then back-to-back
products closed by torch.cuda.synchronize(). TF32 is off (float32 is true float32, as in Mantissa).

  python3 bench/cuda_gemm_torch.py
  BENCH_CASES=float16:4096,bfloat16:8192 python3 bench/cuda_gemm_torch.py
"""
import json
import os
import time

import torch

cases = [c.split(':') for c in
         os.environ.get('BENCH_CASES', 'float16:4096,float16:8192,bfloat16:4096,bfloat16:8192,float32:4096').split(',')]
print(json.dumps({'op': 'env', 'impl': 'torch', 'torch': torch.__version__,
                  'cuda': torch.cuda.is_available() and torch.version.cuda,
                  'device': torch.cuda.is_available() and torch.cuda.get_device_name(0)}), flush=True)
if not torch.cuda.is_available():
    print(json.dumps({'op': 'skip', 'reason': 'no CUDA device'}))
    raise SystemExit(0)
torch.backends.cuda.matmul.allow_tf32 = False


def timed(fn, budget):
    iters = 0
    t0 = time.perf_counter()
    while True:
        fn()
        iters += 1
        if iters % 4 == 0:
            torch.cuda.synchronize()
        if iters >= 3 and time.perf_counter() - t0 >= budget:
            break
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / iters * 1e3


torch.manual_seed(0)
for name, n in cases:
    n = int(n)
    dtype = getattr(torch, name)
    a = torch.randn(n, n, device='cuda', dtype=dtype)
    b = torch.randn(n, n, device='cuda', dtype=dtype)
    timed(lambda: torch.matmul(a, b), 0.2)
    ms = timed(lambda: torch.matmul(a, b), 1.5)
    print(json.dumps({'op': 'matmul', 'impl': 'torch', 'dtype': name, 'n': n,
                      'tflops': round(2 * n ** 3 / ms / 1e9, 2), 'path': 'torch', 'ms': round(ms, 4)}), flush=True)
    del a, b
