"""PyTorch's conv2d timings for the same layers as bench/conv.mjs, as JSON lines.

forwardMs runs under no_grad; trainMs is one training step's conv2d work: forward, then backward for
the weight and bias gradients, and for the input gradient only where training needs it (inputGrad:
not for the first layer, whose input is the data and does not require grad), with the output gradient
made beforehand, as bench/conv.mjs does.
PyTorch 1.13 has no CPU float16 convolution, so float16 is reported as null.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=2 \\
    MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_TOP_PAD_=67108864 \\
    /usr/bin/python3 bench/torch_conv_ref.py

The MALLOC_ settings keep glibc from handing freed outputs back to the OS and faulting them in again on
the next call, which otherwise costs some runs 0.4 ms a call (bench/conv_compare.mjs sets them).
"""
import json
import os
import time

import torch
import torch.nn.functional as F

dtypes = os.environ.get('BENCH_DTYPES', 'float32,float16,bfloat16').split(',')
reps = int(os.environ.get('BENCH_REPS', 50))
batch = int(os.environ.get('BENCH_BATCH', 64))
threads = int(os.environ.get('OPENBLAS_NUM_THREADS', 2))
torch.set_num_threads(threads)
LAYERS = [(3, 16, 28, False), (16, 16, 14, True), (16, 2, 7, True)]
print(json.dumps({'bench': 'env', 'impl': 'torch', 'torch': torch.__version__, 'threads': threads,
                  'mkldnn': torch.backends.mkldnn.is_available()}), flush=True)


def best(fn):
    fn()
    low = float('inf')
    start = time.perf_counter()
    i = 0
    while i < reps and (i < 5 or time.perf_counter() - start < 3.0):
        t0 = time.perf_counter()
        fn()
        low = min(low, time.perf_counter() - t0)
        i += 1
    return low * 1e3


torch.manual_seed(0)
for name in dtypes:
    dtype = getattr(torch, name)
    for cin, cout, size, input_grad in LAYERS:
        row = {'bench': 'conv2d', 'impl': 'torch', 'dtype': name, 'layer': f'{cin}->{cout} {size}x{size}',
               'batch': batch, 'inputGrad': input_grad}
        x = torch.randn(batch, cin, size, size).to(dtype).requires_grad_(input_grad)
        w = torch.randn(cout, cin, 3, 3).to(dtype).requires_grad_()
        b = torch.randn(cout).to(dtype).requires_grad_()

        try:
            with torch.no_grad():
                gy = torch.ones_like(F.conv2d(x, w, b, stride=2, padding=1))
        except RuntimeError:
            gy = None

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, b, stride=2, padding=1)

        def train():
            y = F.conv2d(x, w, b, stride=2, padding=1)
            y.backward(gy)

        try:
            row.update(forwardMs=round(best(forward), 4), trainMs=round(best(train), 4))
        except RuntimeError as e:  # no CPU float16 convolution in this PyTorch
            row.update(forwardMs=None, trainMs=None, error=str(e).split('\n')[0][:120])
        print(json.dumps(row), flush=True)
