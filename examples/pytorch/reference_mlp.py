#!/usr/bin/env python3
"""Reference: the same Fashion-MNIST recipe trained in PyTorch, to judge Trainyard's accuracy.

Keras's classic model and defaults, reproduced: rescaling 1/255 -> flatten -> dense 128 relu
-> dense 10 softmax; glorot-uniform weights, zero biases; Adam (lr 0.001, eps 1e-7); sparse
categorical cross-entropy; batch 32; 5 epochs; validationSplit 0.1 (the last 10% held out,
as Keras does), shuffled every epoch. Prints the test accuracy per seed.

    python3 examples/pytorch/reference_mlp.py --seeds 1 2 3 [--epochs 5] [--val-split 0.1]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no __pycache__ in examples/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_weights import read_idx  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--val-split", type=float, default=0.1)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    x = torch.from_numpy(read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255).reshape(-1, 784)
    y = torch.from_numpy(read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    tx = torch.from_numpy(read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255).reshape(-1, 784)
    ty = torch.from_numpy(read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    n_train = int(round(len(x) * (1 - args.val_split)))
    x, y = x[:n_train], y[:n_train]

    accs = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        loss_fn = nn.CrossEntropyLoss()
        t0 = time.time()
        for _ in range(args.epochs):
            perm = torch.randperm(n_train)
            for i in range(0, n_train, 32):
                idx = perm[i:i + 32]
                opt.zero_grad()
                loss_fn(model(x[idx]), y[idx]).backward()
                opt.step()
        with torch.no_grad():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
        accs.append(acc)
        print(f"seed {seed}: test accuracy {acc:.4f} ({time.time() - t0:.1f} s)", flush=True)
    print(f"mean {np.mean(accs):.4f}, min {np.min(accs):.4f}, max {np.max(accs):.4f} over {len(accs)} seeds")


if __name__ == "__main__":
    main()
