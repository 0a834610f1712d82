"""The ResNet basic block of bench/cuda-conv.mjs in PyTorch on the same GPU: conv3x3 -> batch norm ->
relu -> conv3x3 -> batch norm -> + x -> relu, forward and backward (autograd; x needs its gradient,
as a block inside a network does), batch 32, 64 channels, 56x56, cudnn.benchmark on. float16/bfloat16
convolutions with float32 batch-norm parameters, as the mantissa run. Prints one JSON line per dtype:
{"bench":"resnet-basic-block","impl":"torch","dtype":...,"ms":mean of the timed steps}.
BENCH_DTYPES, BENCH_REPS and BENCH_BATCH change the run."""
import json
import os
import time

import torch
import torch.nn.functional as F

DTYPES = os.environ.get("BENCH_DTYPES", "float32,float16,bfloat16").split(",")
REPS = int(os.environ.get("BENCH_REPS", "20"))
BATCH = int(os.environ.get("BENCH_BATCH", "32"))
C, SIZE = 64, 56


def main():
    if not torch.cuda.is_available():
        print(json.dumps({"bench": "resnet-basic-block", "impl": "torch", "skipped": "no CUDA device"}))
        return
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    dev = "cuda"
    for name in DTYPES:
        dtype = getattr(torch, name)
        x = torch.randn(BATCH, C, SIZE, SIZE, device=dev).to(dtype).requires_grad_(True)
        w1 = (torch.randn(C, C, 3, 3, device=dev) * 0.05).to(dtype).requires_grad_(True)
        w2 = (torch.randn(C, C, 3, 3, device=dev) * 0.05).to(dtype).requires_grad_(True)

        def bn():
            return (torch.ones(C, device=dev, requires_grad=True), torch.zeros(C, device=dev, requires_grad=True),
                    torch.zeros(C, device=dev), torch.ones(C, device=dev))

        g1, b1, m1, v1 = bn()
        g2, b2, m2, v2 = bn()
        g_out = torch.randn(BATCH, C, SIZE, SIZE, device=dev).to(dtype)

        def step():
            y = F.relu(F.batch_norm(F.conv2d(x, w1, padding=1), m1, v1, g1, b1, training=True))
            y = F.batch_norm(F.conv2d(y, w2, padding=1), m2, v2, g2, b2, training=True)
            out = F.relu(y + x)
            out.backward(g_out)
            for p in (x, w1, w2, g1, b1, g2, b2):
                p.grad = None

        for _ in range(3):
            step()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(REPS):
            step()
        torch.cuda.synchronize()
        ms = (time.perf_counter() - t0) * 1000 / REPS
        print(json.dumps({"bench": "resnet-basic-block", "impl": "torch", "dtype": name, "batch": BATCH, "ms": ms}))


if __name__ == "__main__":
    main()
