"""Turn-taking for the PyTorch side of a benchmark: the Node side alternates turns between
Trainyard and PyTorch (each keeping its model alive), so a slow phase of a shared machine
(seconds long) hits both alike. serve() runs a 20-step warm-up and prints "ready" as a JSON
line, then reads one line per turn from stdin, runs `steps` training steps, and prints that
turn's samples per second as a JSON line; it returns at EOF.
"""
import json
import sys
import time


def serve(step, steps, batch):
    for i in range(min(20, steps)):
        step(i)  # warm-up
    print(json.dumps('ready'), flush=True)
    for _ in sys.stdin:
        t = time.perf_counter()
        for i in range(steps):
            step(i)
        print(json.dumps(steps * batch / (time.perf_counter() - t)), flush=True)
