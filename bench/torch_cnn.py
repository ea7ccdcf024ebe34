#!/usr/bin/python3
"""PyTorch side of bench/cnn.ts: the same CNN (conv 16 3x3 relu padding 1, max pool 2,
conv 32 3x3 relu padding 1, max pool 2, flatten, linear 10; Adam 1e-3, cross-entropy on logits) trained for a
fixed number of steps on random 28x28x1 data, in each memory format (NCHW, the default,
and channels_last); reports the faster one.

Usage: torch_cnn.py <steps> <batch>   → one JSON line {"best": samples_per_s, "format": ..., "<format>": samples_per_s, ...}
       torch_cnn.py serve <steps> <batch> <format>   → turns of <steps> steps (torch_serve.py)
Run it with one thread (the caller sets OPENBLAS_NUM_THREADS=1 and unsets
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, PyTorch's fastest setting here).
"""
import json
import sys
import time

import torch
import torch.nn as nn

from torch_serve import serve

torch.set_num_threads(1)
torch.manual_seed(0)


def model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )


def build(steps, batch, fmt):
    """step(i) trains on batch i of `steps` batches of random data; reshuffle() draws a new order."""
    n = steps * batch
    x = torch.rand(n, 1, 28, 28)
    y = torch.randint(0, 10, (n,))
    m = model()
    if fmt == 'channels_last':
        m = m.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        idx = perm[0][i * batch:(i + 1) * batch]
        xb, yb = x[idx], y[idx]
        if fmt == 'channels_last':
            xb = xb.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(xb), yb)
        loss.backward()
        opt.step()

    perm = [torch.randperm(n)]

    def reshuffle():
        perm[0] = torch.randperm(n)

    return step, reshuffle


def run(steps, batch, fmt):
    step, reshuffle = build(steps, batch, fmt)
    for i in range(min(20, steps)):
        step(i)  # warm-up
    reshuffle()
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * batch / (time.perf_counter() - t)


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        steps, batch = int(sys.argv[2]), int(sys.argv[3])
        serve(build(steps, batch, sys.argv[4])[0], steps, batch)
        sys.exit(0)
    steps, batch = int(sys.argv[1]), int(sys.argv[2])
    res = {fmt: run(steps, batch, fmt) for fmt in ('nchw', 'channels_last')}
    best = max(res, key=res.get)
    print(json.dumps({'best': res[best], 'format': best, **res}))
