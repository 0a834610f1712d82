"""PyTorch's matmul throughput for the same products as bench/gemm.mjs, as JSON lines.

Run it at PyTorch's best (reference/baselines.md): OpenBLAS with 2 threads for float32, oneDNN's
vdpbf16ps for bfloat16. PyTorch 1.13 has no CPU float16 matmul, so float16 is reported as null.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=2 \\
    /usr/bin/python3 bench/torch_ref.py

It measures at OPENBLAS_NUM_THREADS threads only: OpenBLAS fixes its thread count when it loads, so
torch.set_num_threads cannot lower it for float32 (bench/compare.mjs runs this once per thread count).
"""
import json
import os
import time

import torch

sizes = [int(s) for s in os.environ.get('BENCH_SIZES', '128,256,512,1024,2048').split(',')]
dtypes = os.environ.get('BENCH_DTYPES', 'float32,float16,bfloat16').split(',')
threads = int(os.environ.get('OPENBLAS_NUM_THREADS', torch.get_num_threads()))
torch.set_num_threads(threads)
print(json.dumps({'bench': 'env', 'impl': 'torch', 'torch': torch.__version__, 'threads': threads,
                  'blas': os.environ.get('LD_LIBRARY_PATH', 'default')}), flush=True)


def best(fn, reps, budget):
    fn()
    low = float('inf')
    start = time.perf_counter()
    i = 0
    while i < reps and (i < 3 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn()
        low = min(low, time.perf_counter() - t0)
        i += 1
    return low * 1e3


torch.manual_seed(0)
for name in dtypes:
    dtype = getattr(torch, name)
    for n in sizes:
        a = torch.randn(n, n).to(dtype)
        b = torch.randn(n, n).to(dtype)
        row = {'bench': 'matmul', 'impl': 'torch', 'dtype': name, 'n': n, 'threads': threads}
        try:
            reps = int(os.environ.get('BENCH_REPS', 50 if n <= 256 else 10 if n <= 1024 else 3))
            ms = best(lambda: torch.matmul(a, b), reps, 2.0)
            row.update(ms=round(ms, 4), GFLOPs=round(2 * n ** 3 / ms / 1e6, 1))
        except RuntimeError as e:  # no CPU float16 matmul in this PyTorch
            row.update(ms=None, GFLOPs=None, error=str(e).split('\n')[0][:120])
        print(json.dumps(row), flush=True)
