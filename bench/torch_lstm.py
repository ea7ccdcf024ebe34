#!/usr/bin/python3
"""PyTorch side of bench/lstm.ts: the same model (nn.LSTM(28, 64, batch_first=True), last
step's output, nn.Linear(64, 10); Adam 1e-3, cross-entropy on logits) trained for a fixed
number of steps on random [batch, 28, 28] data, with the oneDNN (mkldnn) RNN kernels on and
off; reports the faster setting.

Usage: torch_lstm.py <steps> <batch>   → one JSON line {"best": samples_per_s, "setting": ..., "<setting>": samples_per_s, ...}
Run it with one thread (the caller sets OPENBLAS_NUM_THREADS=1 and unsets
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, PyTorch's fastest setting here).
"""
import json
import sys
import time

import torch
import torch.nn as nn

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


def run(steps, batch, mkldnn):
    n = steps * batch
    x = torch.rand(n, 28, 28)
    y = torch.randint(0, 10, (n,))
    m = Net()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        idx = perm[i * batch:(i + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(x[idx]), y[idx])
        loss.backward()
        opt.step()

    with torch.backends.mkldnn.flags(enabled=mkldnn):
        perm = torch.randperm(n)
        for i in range(min(20, steps)):
            step(i)  # warm-up
        perm = torch.randperm(n)
        t = time.perf_counter()
        for i in range(steps):
            step(i)
        return steps * batch / (time.perf_counter() - t)


if __name__ == '__main__':
    steps, batch = int(sys.argv[1]), int(sys.argv[2])
    res = {name: run(steps, batch, flag) for name, flag in (('mkldnn_on', True), ('mkldnn_off', False))}
    best = max(res, key=res.get)
    print(json.dumps({'best': res[best], 'setting': best, **res}))
