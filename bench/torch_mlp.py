#!/usr/bin/python3
"""PyTorch side of bench/mlp.ts: the same MLP (784-128 relu-10, Adam 1e-3,
cross-entropy on logits) trained for a fixed number of steps on random data.

Usage: torch_mlp.py <steps> <batch> [<batch> ...]   → one JSON line {"<batch>": samples_per_s, ...}
       torch_mlp.py serve <steps> <batch>             → turns of <steps> steps (torch_serve.py)
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


def build(steps, batch):
    """step(i) trains on batch i of `steps` batches of random data; reshuffle() draws a new order."""
    n = steps * batch
    x = torch.rand(n, 784)
    y = torch.randint(0, 10, (n,))
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        idx = perm[0][i * batch:(i + 1) * batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

    perm = [torch.randperm(n)]

    def reshuffle():
        perm[0] = torch.randperm(n)

    return step, reshuffle


def run(steps, batch):
    step, reshuffle = build(steps, batch)
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
        serve(build(steps, batch)[0], steps, batch)
        sys.exit(0)
    steps = int(sys.argv[1])
    print(json.dumps({b: run(steps, int(b)) for b in sys.argv[2:]}))
