#!/usr/bin/env python3
"""Load Trainyard weights into PyTorch, score Fashion-MNIST, and check the outputs match Trainyard.

Builds the PyTorch ``nn.Module`` equivalent to a Trainyard model spec, loads the downloaded
safetensors file with ``load_state_dict(strict=True)``, runs the 10k test set, and (with
``--job``) compares its outputs with Trainyard's ``POST /v1/jobs/:id/predict`` on the same
inputs.

    # everything from a running service: the job's spec, its weights, and /predict
    TRAINYARD_URL=http://127.0.0.1:3000 TRAINYARD_KEY=... \
        python3 examples/pytorch/load_weights.py --job <job id>

    # offline: a weights file and the spec (JSON: {"inputShape": ..., "layers": [...]})
    python3 examples/pytorch/load_weights.py --weights model.safetensors --spec spec.json

Needs torch and numpy only. The ``safetensors`` package is used when installed; otherwise the
file is read by ``read_safetensors`` below (8-byte little-endian header length, a JSON header,
raw little-endian data).

Supported layers: rescaling, flatten, reshape, dense, activation, dropout, conv2d,
maxPooling2d, averagePooling2d, globalAveragePooling2d, globalMaxPooling2d,
batchNormalization, layerNormalization, simpleRNN, lstm, gru, bidirectional, embedding,
timeDistributed (dense). The module keeps activations channels-last
(``[N, H, W, C]``, as Trainyard and Keras do) and permutes to PyTorch's channels-first only
around the conv and pooling ops, so ``flatten`` orders features the same way and every
weight loads as stored.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------- safetensors

_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def read_safetensors(data: bytes):
    """Parse a safetensors file's bytes: returns ({name: torch.Tensor}, metadata)."""
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=_DTYPES[info["dtype"]], count=(end - begin) // np.dtype(_DTYPES[info["dtype"]]).itemsize,
                              offset=base + begin)
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors, metadata


def load_safetensors(path: str):
    try:
        from safetensors.torch import load_file  # type: ignore
        from safetensors import safe_open  # type: ignore
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
        return load_file(path), metadata
    except ImportError:
        with open(path, "rb") as f:
            return read_safetensors(f.read())


# ---------------------------------------------------------------------------- the module

def _pair(v, default):
    if v is None:
        v = default
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _canon(name: str) -> str:
    """Trainyard accepts Keras spellings (Dense, max_pooling2d, MaxPooling2D): compare loosely."""
    return name.replace("_", "").lower()


def _activation(name):
    a = _canon(name or "linear")
    if a in ("linear", "none", "identity"):
        return lambda x: x
    return {
        "relu": torch.relu,
        "leakyrelu": lambda x: F.leaky_relu(x, 0.2),  # Keras / TF.js default alpha
        "elu": F.elu,
        "gelu": F.gelu,  # exact (erf) form
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": lambda x: torch.softmax(x, dim=-1),
        "softplus": F.softplus,
    }[a]


def _same_pads(length, kernel, stride, dilation=1):
    """TensorFlow "same": total padding and the part before (the extra one goes after)."""
    dk = (kernel - 1) * dilation + 1
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + dk - length, 0)
    return total // 2, total - total // 2


def channels_last(op, kernel, stride, dilation, padding, pad_value, in_hw):
    """Wraps a channels-first PyTorch op (a conv or pooling module) to run on a channels-last
    tensor, with TensorFlow's "same" padding (the extra row/column at the bottom/right).

    The module itself stays ``self.layers[i]`` so its parameters keep Trainyard's names."""
    pads = (0, 0, 0, 0)
    if padding == "same":
        top, bottom = _same_pads(in_hw[0], kernel[0], stride[0], dilation[0])
        left, right = _same_pads(in_hw[1], kernel[1], stride[1], dilation[1])
        pads = (left, right, top, bottom)

    def forward(x):  # x: [N, H, W, C]
        x = x.permute(0, 3, 1, 2)  # NHWC -> NCHW
        if any(pads):
            x = F.pad(x, pads, value=pad_value)
        return op(x).permute(0, 2, 3, 1)  # NCHW -> NHWC

    return forward


_RNN_KINDS = {"simplernn": "rnn", "lstm": "lstm", "gru": "gru"}


def _recurrent(cfg, features):
    """The PyTorch module for a simpleRNN / lstm / gru config, and a function of its output."""
    kind = _RNN_KINDS[_canon(cfg["type"])]
    units = int(cfg["units"])
    bias = cfg.get("useBias", True)
    act = _canon(cfg.get("activation", "tanh"))
    rec_act = _canon(cfg.get("recurrentActivation", "sigmoid"))
    if kind == "rnn":
        if act not in ("tanh", "relu"):
            raise NotImplementedError(f"simpleRNN activation {act}: nn.RNN has tanh and relu only")
        return nn.RNN(features, units, batch_first=True, nonlinearity=act, bias=bias), units
    if act != "tanh" or rec_act != "sigmoid":
        raise NotImplementedError(f"{cfg['type']} with activation {act} / recurrentActivation {rec_act}: PyTorch has tanh / sigmoid only")
    if kind == "gru" and cfg.get("resetAfter", True) is False:
        raise NotImplementedError("gru resetAfter false has no PyTorch equivalent")
    cls = nn.LSTM if kind == "lstm" else nn.GRU
    return cls(features, units, batch_first=True, bias=bias), units


def _run_recurrent(module, x, cfg):
    """Keras semantics on a batch_first module: goBackwards reads (and returns) the sequence
    reversed; without returnSequences, the last processed step."""
    if cfg.get("goBackwards", False):
        x = x.flip(1)
    out, _ = module(x)
    return out if cfg.get("returnSequences", False) else out[:, -1]


def _bidirectional(cfg, features):
    """Keras Bidirectional as PyTorch's ``bidirectional=True`` module (parameters
    ``weight_ih_l0`` ... then ``weight_ih_l0_reverse`` ...), and the function that merges the
    two directions as Keras does (``mergeMode`` concat / sum / mul / ave)."""
    inner = cfg["layer"]
    if inner.get("goBackwards", False):
        raise NotImplementedError("bidirectional with goBackwards on the inner layer")
    one, units = _recurrent(inner, features)
    kwargs = dict(batch_first=True, bias=inner.get("useBias", True), bidirectional=True)
    if isinstance(one, nn.RNN):
        kwargs["nonlinearity"] = one.nonlinearity
    module = type(one)(features, units, **kwargs)
    merge = _canon(cfg.get("mergeMode", "concat"))
    sequences = inner.get("returnSequences", False)

    def forward(x):
        out, _ = module(x)
        fwd, bwd = out[..., :units], out[..., units:]  # both aligned with the input's timesteps
        if not sequences:
            fwd, bwd = fwd[:, -1], bwd[:, 0]  # each direction's last processed step
        if merge == "concat":
            return torch.cat([fwd, bwd], dim=-1)
        return {"sum": fwd + bwd, "mul": fwd * bwd, "ave": (fwd + bwd) / 2}[merge]

    width = 2 * units if merge == "concat" else units
    return module, forward, width


class TrainyardNet(nn.Module):
    """The PyTorch equivalent of a Trainyard Sequential spec.

    ``self.layers[i]`` is spec layer i, so parameters are named ``layers.<i>.weight`` etc., as
    in Trainyard's state_dict. Layers without parameters are modules without parameters.
    """

    def __init__(self, spec):
        super().__init__()
        shape = list(spec["inputShape"])  # one sample, channels-last
        self.input_shape = list(shape)
        mods, fns = [], []
        for i, layer in enumerate(spec["layers"]):
            t = _canon(layer["type"])
            act = _activation(layer.get("activation"))
            if t == "dense":
                units = int(layer["units"])
                m = nn.Linear(shape[-1], units, bias=layer.get("useBias", True))
                fns.append(lambda x, m=m, act=act: act(m(x)))
                shape = shape[:-1] + [units]
            elif t == "rescaling":
                m = nn.Identity()
                scale, offset = float(layer["scale"]), float(layer.get("offset", 0.0))
                fns.append(lambda x, s=scale, o=offset: x * s + o)
            elif t == "flatten":
                m = nn.Identity()
                fns.append(lambda x: x.flatten(1))  # channels-last order, as Trainyard
                shape = [int(np.prod(shape))]
            elif t == "reshape":
                m = nn.Identity()
                target = [int(d) for d in layer["targetShape"]]
                if -1 in target:
                    known = int(np.prod([d for d in target if d != -1]))
                    target[target.index(-1)] = int(np.prod(shape)) // known
                fns.append(lambda x, tg=tuple(target): x.reshape((x.shape[0],) + tg))
                shape = target
            elif t == "activation":
                m = nn.Identity()
                fns.append(lambda x, act=act: act(x))
            elif t == "dropout":
                m = nn.Dropout(float(layer.get("rate", 0.5)))
                fns.append(lambda x, m=m: m(x))
            elif t == "conv2d":
                h, w, c = shape
                k = _pair(layer["kernelSize"], None)
                s = _pair(layer.get("strides"), 1)
                d = _pair(layer.get("dilationRate"), 1)
                padding = _canon(layer.get("padding", "valid"))
                filters = int(layer["filters"])
                m = nn.Conv2d(c, filters, k, stride=s, dilation=d, bias=layer.get("useBias", True))
                fns.append(lambda x, f=channels_last(m, k, s, d, padding, 0.0, (h, w)), act=act: act(f(x)))
                shape = [_out_len(h, k[0], s[0], d[0], padding), _out_len(w, k[1], s[1], d[1], padding), filters]
            elif t in ("maxpooling2d", "averagepooling2d"):
                h, w, c = shape
                k = _pair(layer.get("poolSize"), 2)
                s = _pair(layer.get("strides"), k)
                padding = _canon(layer.get("padding", "valid"))
                if t == "maxpooling2d":
                    m, pad_value = nn.MaxPool2d(k, s), -math.inf
                else:
                    if padding == "same":
                        raise NotImplementedError("averagePooling2d with padding same (count_include_pad=False over TF pads)")
                    m, pad_value = nn.AvgPool2d(k, s), 0.0
                fns.append(channels_last(m, k, s, (1, 1), padding, pad_value, (h, w)))
                shape = [_out_len(h, k[0], s[0], 1, padding), _out_len(w, k[1], s[1], 1, padding), c]
            elif t in ("globalaveragepooling2d", "globalmaxpooling2d"):
                m = nn.Identity()
                keep = bool(layer.get("keepdims", False))
                if t == "globalaveragepooling2d":
                    fns.append(lambda x, keep=keep: x.mean(dim=(1, 2), keepdim=keep))
                else:
                    fns.append(lambda x, keep=keep: x.amax(dim=(1, 2), keepdim=keep))
                shape = [1, 1, shape[-1]] if keep else [shape[-1]]
            elif t == "batchnormalization":
                c = shape[-1]
                eps = float(layer.get("epsilon", 1e-3))
                momentum = 1.0 - float(layer.get("momentum", 0.99))
                center, scale = layer.get("center", True), layer.get("scale", True)
                if center != scale:
                    raise NotImplementedError("batchNormalization with only one of center / scale")
                cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
                m = cls(c, eps=eps, momentum=momentum, affine=bool(center))
                fns.append(lambda x, m=m: m(x.movedim(-1, 1)).movedim(1, -1))
            elif t == "layernormalization":
                m = nn.LayerNorm(shape[-1], eps=float(layer.get("epsilon", 1e-3)))
                fns.append(lambda x, m=m: m(x))
            elif t in _RNN_KINDS:
                m, units = _recurrent(layer, shape[-1])
                fns.append(lambda x, m=m, cfg=layer: _run_recurrent(m, x, cfg))
                shape = [shape[0], units] if layer.get("returnSequences", False) else [units]
            elif t == "bidirectional":
                m, fn, width = _bidirectional(layer, shape[-1])
                fns.append(fn)
                shape = [shape[0], width] if layer["layer"].get("returnSequences", False) else [width]
            elif t == "embedding":
                m = nn.Embedding(int(layer["inputDim"]), int(layer["outputDim"]))
                fns.append(lambda x, m=m: m(x.long()))  # indices arrive as floats
                shape = shape + [int(layer["outputDim"])]
            elif t == "timedistributed":
                inner = layer["layer"]
                units = int(inner["units"])
                m = nn.Linear(shape[-1], units, bias=inner.get("useBias", True))
                fns.append(lambda x, m=m, act=_activation(inner.get("activation")): act(m(x)))
                shape = shape[:-1] + [units]
            else:
                raise NotImplementedError(f"layer {i}: type {layer['type']} is not supported by this script")
            mods.append(m)
        self.layers = nn.ModuleList(mods)
        self._fns = fns
        self.output_shape = shape

    def forward(self, x):  # x: [N, *inputShape], channels-last as Trainyard takes it
        for fn in self._fns:
            x = fn(x)
        return x


def _out_len(length, kernel, stride, dilation, padding):
    if padding == "same":
        return math.ceil(length / stride)
    return (length - ((kernel - 1) * dilation + 1)) // stride + 1


# ---------------------------------------------------------------------------- data and API

def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Api:
    def __init__(self, url, key):
        self.url, self.key = url.rstrip("/"), key

    def request(self, method, path, body=None, raw=False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=600) as res:
                payload = res.read()
        except urllib.error.HTTPError as e:  # Trainyard errors are JSON: {statusCode, code, message}
            sys.exit(f"{method} {path}: HTTP {e.code} {e.read().decode(errors='replace')[:500]}")
        return payload if raw else json.loads(payload)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--job", help="a Trainyard job id: its spec, weights and /predict are used")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a checkpoint id (with --job)")
    p.add_argument("--weights", help="a .safetensors file (default: downloaded from the job)")
    p.add_argument("--spec", help="the model spec as JSON (default: the job's)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--url", default=os.environ.get("TRAINYARD_URL", "http://127.0.0.1:3000"))
    p.add_argument("--key", default=os.environ.get("TRAINYARD_KEY"))
    p.add_argument("--batch", type=int, default=2048, help="samples per /predict call (at most 4096)")
    p.add_argument("--tolerance", type=float, default=1e-4)
    args = p.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    api = Api(args.url, args.key) if args.job else None
    if args.job and not args.key:
        sys.exit("--job needs TRAINYARD_KEY (or --key)")
    if args.spec:
        with open(args.spec) as f:
            spec = json.load(f)
    elif api:
        spec = api.request("GET", f"/v1/jobs/{args.job}")["spec"]
    else:
        sys.exit("give --spec (or --job)")

    if args.weights:
        state, metadata = load_safetensors(args.weights)
    elif api:
        blob = api.request("GET", f"/v1/jobs/{args.job}/weights?format=safetensors&checkpoint={args.checkpoint}", raw=True)
        state, metadata = read_safetensors(blob)
    else:
        sys.exit("give --weights (or --job)")

    model = TrainyardNet(spec)
    model.load_state_dict(state, strict=True)
    model.eval()
    print(f"metadata: {metadata}")
    print("state_dict: " + ", ".join(f"{k} {list(v.shape)}" for k, v in state.items()))
    print(model.layers)

    x = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))
    n = x.shape[0]
    inputs = x.reshape((n, *spec["inputShape"]))  # e.g. [28, 28] or [28, 28, 1]: same bytes
    t0 = time.time()
    with torch.no_grad():
        out = model(torch.from_numpy(inputs.astype(np.float32))).numpy()
    torch_seconds = time.time() - t0
    accuracy = float((out.argmax(-1) == y).mean())
    print(f"PyTorch: test accuracy {accuracy:.4f} on {n} samples ({torch_seconds:.2f} s)")

    if api:
        theirs = np.empty_like(out)
        classes = np.empty(n, dtype=np.int64)
        checkpoint = None
        t0 = time.time()
        for start in range(0, n, args.batch):
            batch = inputs[start:start + args.batch].tolist()
            # The same checkpoint as the weights downloaded above (--weights is assumed to be it).
            body = {"inputs": batch, "checkpoint": metadata.get("checkpoint_id", args.checkpoint)}
            res = api.request("POST", f"/v1/jobs/{args.job}/predict", body)
            theirs[start:start + len(batch)] = np.asarray(res["outputs"], dtype=np.float32)
            classes[start:start + len(batch)] = res["classes"]
            checkpoint = res["checkpoint"]
        diff = np.abs(out - theirs)
        print(f"Trainyard /predict: checkpoint {checkpoint}, test accuracy {float((classes == y).mean()):.4f} "
              f"({time.time() - t0:.1f} s)")
        print(f"max |PyTorch - Trainyard| = {diff.max():.3e} (mean {diff.mean():.3e}) over {diff.size} outputs; "
              f"argmax agrees on {int((out.argmax(-1) == classes).sum())}/{n}")
        if not diff.max() <= args.tolerance:
            sys.exit(f"FAIL: max abs difference {diff.max():.3e} > {args.tolerance}")
        print(f"OK: within {args.tolerance}")


if __name__ == "__main__":
    main()
