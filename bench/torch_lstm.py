#!/usr/bin/python3
"""PyTorch side of bench/lstm.ts: the same model (nn.LSTM(28, 64, batch_first=True), last
step's output, nn.Linear(64, 10); Adam 1e-3, cross-entropy on logits) trained for a fixed
number of steps on random [batch, 28, 28] data, with the oneDNN (mkldnn) RNN kernels on and
off; reports the faster setting.

Usage: torch_lstm.py <steps> <batch>   → one JSON line {"best": samples_per_s, "setting": ..., "<setting>": samples_per_s, ...}
       torch_lstm.py serve <steps> <batch> <setting>   → turns of <steps> steps (torch_serve.py)
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


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 64, batch_first=True)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.out(y[:, -1])


def build(steps, batch):
    """step(i) trains on batch i of `steps` batches of random data; reshuffle() draws a new order."""
    n = steps * batch
    x = torch.rand(n, 28, 28)
    y = torch.randint(0, 10, (n,))
    m = Net()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    perm = [torch.randperm(n)]

    def step(i):
        idx = perm[0][i * batch:(i + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(x[idx]), y[idx])
        loss.backward()
        opt.step()

    def reshuffle():
        perm[0] = torch.randperm(n)

    return step, reshuffle


def run(steps, batch, mkldnn):
    with torch.backends.mkldnn.flags(enabled=mkldnn):
        step, reshuffle = build(steps, batch)
        for i in range(min(20, steps)):
            step(i)  # warm-up
        reshuffle()
        t = time.perf_counter()
        for i in range(steps):
            step(i)
        return steps * batch / (time.perf_counter() - t)


SETTINGS = {'mkldnn_on': True, 'mkldnn_off': False}


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        steps, batch = int(sys.argv[2]), int(sys.argv[3])
        with torch.backends.mkldnn.flags(enabled=SETTINGS[sys.argv[4]]):
            serve(build(steps, batch)[0], steps, batch)
        sys.exit(0)
    steps, batch = int(sys.argv[1]), int(sys.argv[2])
    res = {name: run(steps, batch, flag) for name, flag in SETTINGS.items()}
    best = max(res, key=res.get)
    print(json.dumps({'best': res[best], 'setting': best, **res}))
