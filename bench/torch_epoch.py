"""fastai v1's MNIST_SAMPLE example (DESIGN.md section 1), replicated in plain PyTorch on the CPU.

    path = untar_data(URLs.MNIST_SAMPLE); data = ImageDataBunch.from_folder(path)
    learn = Learner(data, simple_cnn((3,16,16,2)), metrics=[accuracy]); learn.fit_one_cycle(1)

Same images (read from the PNG folder bench/epoch.mjs builds), simple_cnn with fastai's init, bs 64,
shuffled training set without its last partial batch, Adam betas (0.9, 0.99) behind fastai's OptimWrapper
(true weight decay 1e-2 on every parameter before the step), fastai's OneCycleScheduler (lr 3e-3/25 ->
3e-3 -> 3e-3/2.5e5, momentum 0.95 -> 0.85 -> 0.95, cosine, pct_start 0.3), the loss smoothed as the
Recorder does, and the validation loss as fastai's validate weights it. Decoding is done once before
timing (as a cached dataset would), so an epoch is training plus validation only.

On a busy machine (more runnable threads than cores) PyTorch's spinning OpenMP/OpenBLAS threads slow
its epoch from 0.3 s to 5-16 s, far more than ours; bench/epoch.mjs therefore interleaves the two per
seed and reports best times and per-seed ratios as well as medians. Compare figures from a quiet run.

Usage: python3 bench/torch_epoch.py <mnist_sample folder> [seeds=0,1,2,3,4|-] [threads=2]
Prints one JSON line per seed. With '-' it reads one seed per line from stdin and answers each with its
line, so bench/epoch.mjs can interleave its runs with ours (a shared machine's load then hits both alike).
Run it with OpenBLAS for a fair comparison (see bench/epoch.mjs).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_split(root, split, classes):
    from PIL import Image  # only here: the GPU step benchmark imports the model without PIL

    xs, ys = [], []
    for label, c in enumerate(classes):
        folder = os.path.join(root, split, c)
        for name in sorted(os.listdir(folder)):
            if name.startswith('.') or not name.endswith('.png'):
                continue
            img = Image.open(os.path.join(folder, name)).convert('RGB')
            xs.append(np.asarray(img, dtype=np.uint8).transpose(2, 0, 1))
            ys.append(label)
    x = torch.from_numpy(np.stack(xs)).float().div_(255)
    return x, torch.tensor(ys, dtype=torch.int64)


def conv_layer(ni, nf, ks=3, stride=2):
    conv = nn.Conv2d(ni, nf, ks, stride=stride, padding=ks // 2, bias=True)
    nn.init.kaiming_normal_(conv.weight)
    conv.bias.data.fill_(0.0)
    return nn.Sequential(conv, nn.ReLU(inplace=True))


def simple_cnn():
    return nn.Sequential(
        conv_layer(3, 16), conv_layer(16, 16), conv_layer(16, 2),
        nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()))


def annealing_cos(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


class Scheduler:
    def __init__(self, start, end, n_iter):
        self.start, self.end, self.n_iter, self.n = start, end, max(1, n_iter), 0

    def step(self):
        self.n += 1
        return annealing_cos(self.start, self.end, self.n / self.n_iter)

    @property
    def is_done(self):
        return self.n >= self.n_iter


def run(train, valid, seed, bs=64, lr_max=3e-3, div=25.0, pct_start=0.3, moms=(0.95, 0.85), wd=1e-2):
    torch.manual_seed(seed)
    model = simple_cnn()
    # split_no_wd_params over the one layer group (the leaf modules): conv weights, then conv biases.
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    groups = [[c.weight for c in convs], [c.bias for c in convs]]
    opt = torch.optim.Adam([{'params': g, 'lr': 0.0} for g in groups], betas=(0.9, 0.99))
    (xt, yt), (xv, yv) = train, valid
    n = len(xt) // bs
    a1 = int(n * pct_start)
    lr_scheds = [Scheduler(lr_max / div, lr_max, a1), Scheduler(lr_max, lr_max / (div * 1e4), n - a1)]
    mom_scheds = [Scheduler(moms[0], moms[1], a1), Scheduler(moms[1], moms[0], n - a1)]
    lr, mom, idx_s = lr_max / div, moms[0], 0
    smooth_avg, smooth_n, smooth = 0.0, 0, None

    t0 = time.perf_counter()
    model.train()
    perm = torch.randperm(len(xt))
    for b in range(n):
        idx = perm[b * bs:(b + 1) * bs]
        xb, yb = xt[idx], yt[idx]
        for g in opt.param_groups:
            g['lr'], g['betas'] = lr, (mom, 0.99)
        loss = F.cross_entropy(model(xb), yb)
        smooth_n += 1
        smooth_avg = 0.98 * smooth_avg + 0.02 * loss.item()
        smooth = smooth_avg / (1 - 0.98 ** smooth_n)
        loss.backward()
        with torch.no_grad():  # OptimWrapper.step with true_wd and bn_wd: decay everything, then Adam
            for g in groups:
                for p in g:
                    p.mul_(1 - wd * lr)
        opt.step()
        opt.zero_grad()
        if idx_s < len(lr_scheds):
            lr, mom = lr_scheds[idx_s].step(), mom_scheds[idx_s].step()
            if lr_scheds[idx_s].is_done:
                idx_s += 1
    model.eval()
    losses, sizes, correct = [], [], 0
    with torch.no_grad():
        for b in range(0, len(xv), bs):
            xb, yb = xv[b:b + bs], yv[b:b + bs]
            out = model(xb)
            losses.append(F.cross_entropy(out, yb).item())
            sizes.append(len(yb))
            correct += (out.argmax(-1) == yb).sum().item()
    wall = time.perf_counter() - t0
    l32, n32 = np.array(losses, dtype=np.float32), np.array(sizes, dtype=np.float32)
    return {
        'wall_s': wall, 'train_loss': smooth, 'valid_loss': float((l32 * n32).sum() / n32.sum()),
        'accuracy': correct / len(yv),
    }


def main():
    root = sys.argv[1]
    spec = sys.argv[2] if len(sys.argv) > 2 else '0,1,2,3,4'
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    classes = sorted(c for c in os.listdir(os.path.join(root, 'train')) if not c.startswith('.'))
    t0 = time.perf_counter()
    train, valid = load_split(root, 'train', classes), load_split(root, 'valid', classes)
    decode = time.perf_counter() - t0
    seeds = (int(line) for line in sys.stdin) if spec == '-' else (int(s) for s in spec.split(','))
    for i, seed in enumerate(seeds):
        r = run(train, valid, seed)
        r.update(impl='torch', torch=torch.__version__, threads=torch.get_num_threads(), seed=seed)
        if i == 0:
            r['decode_s'] = decode
        print(json.dumps(r), flush=True)


if __name__ == '__main__':
    main()
