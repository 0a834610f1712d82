"""bench/cuda-step.mjs in PyTorch: one training step of fastai's simple_cnn([3,16,16,2]) at batch 512 on
a GPU — forward, cross-entropy, backward, Adam step, loss.item() — in fp32, fp16 (autocast + GradScaler,
PyTorch's AMP) and bf16 (autocast). Same warm-up and step counts; prints the same JSON lines.

Usage: python3 bench/cuda_step_torch.py [--device cuda] [--batch 512] [--steps 50]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_epoch import simple_cnn  # noqa: E402  the same network and init as the CPU epoch benchmark


def bench(precision, device, batch, steps, warmup=10):
    torch.manual_seed(0)
    x = torch.randn(batch, 3, 28, 28, device=device)
    y = (torch.arange(batch, device=device) * 7919) % 2
    model = simple_cnn().to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    dtype = {'float16': torch.float16, 'bfloat16': torch.bfloat16}.get(precision)
    scaler = torch.cuda.amp.GradScaler(enabled=precision == 'float16')

    def step():
        with torch.autocast('cuda', dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(model(x).float(), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    return {'bench': 'seed-step', 'impl': 'pytorch', 'torch': torch.__version__, 'device': device,
            'dtype': precision, 'batch': batch, 'steps': steps, 'ms': statistics.median(times),
            'msBest': min(times)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--batch', type=int, default=512)
    ap.add_argument('--steps', type=int, default=50)
    a = ap.parse_args()
    # On the cpu (a smoke test of this script) only fp32: autocast and GradScaler are CUDA features here.
    for precision in ('float32', 'float16', 'bfloat16') if a.device.startswith('cuda') else ('float32',):
        print(json.dumps(bench(precision, a.device, a.batch, a.steps)), flush=True)


if __name__ == '__main__':
    main()
