#!/usr/bin/env python3
"""NumPy reference for vrg's AIS estimate of an RBM's ln Z (not part of the build).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        "$VRG_PYTHON" crates/vrg/benches/ais_reference.py MODEL.safetensors \\
        [--mnist DIR] [--chains 100] [--betas 14500] [--json]

Needs numpy (ais_compare.sh runs it with $VRG_PYTHON), e.g. in a venv
outside the repository:

    python3 -m venv ~/vrg-bench-venv && ~/vrg-bench-venv/bin/pip install numpy
    export VRG_PYTHON=~/vrg-bench-venv/bin/python

The full MNIST files come from --mnist DIR, else $VRG_MNIST_DIR, else
../shared/data/mnist (a relative VRG_MNIST_DIR or the default is taken from
the repository root).

The same algorithm as crates/vrg/src/estimate/ais.rs (Salakhutdinov &
Murray 2008): base model with visible biases ln(p/(1-p)) from the mean
MNIST training intensity p (clipped to [1e-3, 1-1e-3]; the expected value
of vrg's stochastically binarised data), geometric path, one block Gibbs
step per temperature, float32 products and float64 log-weights, written the
way a NumPy user would (vectorised over chains). Bernoulli units only.
Prints ln Z, its standard error, the ESS and the seconds the AIS run took
(loading excluded); --json prints one object.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit(f"{sys.argv[0]}: {sys.executable} has no numpy; see this script's header for a venv")


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[info["dtype"]]
        tensors[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(info["shape"])
    return tensors


REPOSITORY = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../.."))
DEFAULT_MNIST = os.path.normpath(
    os.path.join(REPOSITORY, os.environ.get("VRG_MNIST_DIR") or "../shared/data/mnist")
)


def mnist_means(path):
    if not os.path.isfile(path):
        sys.exit(f"{sys.argv[0]}: the full MNIST files are needed and {path} does not exist; "
                 "set VRG_MNIST_DIR or pass --mnist DIR (a directory holding the original IDX files)")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    images = np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 784)
    return images.mean(axis=0, dtype=np.float64) / 255.0


def softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def schedule(steps):
    if steps == 14500:
        return np.concatenate(
            [np.arange(500) * 1e-3, 0.5 + np.arange(4000) * 1e-4, 0.9 + np.arange(10000) * 1e-5, [1.0]]
        )
    first, second = max(steps * 500 // 14500, 1), max(steps * 4000 // 14500, 1)
    third = steps - first - second
    return np.concatenate(
        [
            0.5 * np.arange(first) / first,
            0.5 + 0.4 * np.arange(second) / second,
            0.9 + 0.1 * np.arange(third) / third,
            [1.0],
        ]
    )


def ais(W, b, c, b_a, chains, betas, rng):
    nv, nh = W.shape
    W = W.astype(np.float32)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))
    v = (rng.random((chains, nv), dtype=np.float32) < sig(b_a)).astype(np.float32)
    log_w = np.zeros(chains)
    db = (b - b_a).astype(np.float64)
    for k in range(1, len(betas)):
        before, beta = betas[k - 1], betas[k]
        x = (v @ W + c).astype(np.float64)
        log_w += (beta - before) * (v.astype(np.float64) @ db)
        log_w += softplus(beta * x).sum(axis=1) - softplus(before * x).sum(axis=1)
        if k + 1 < len(betas):
            h = (rng.random((chains, nh), dtype=np.float32) < sig(np.float32(beta) * x.astype(np.float32))).astype(
                np.float32
            )
            a = (1.0 - beta) * b_a + beta * (b + h @ W.T)
            v = (rng.random((chains, nv), dtype=np.float32) < sig(a.astype(np.float32))).astype(np.float32)
    return log_w


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--chains", type=int, default=100)
    p.add_argument("--betas", type=int, default=14500)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    mean = np.clip(mnist_means(os.path.join(args.mnist, "train-images-idx3-ubyte.gz")), 1e-3, 1 - 1e-3)
    t = read_safetensors(args.model)
    W, b, c = t["W"], t["b"].astype(np.float32), t["c"].astype(np.float32)
    b_a = np.log(mean / (1 - mean)).astype(np.float32)
    betas = schedule(args.betas)
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    log_w = ais(W, b, c, b_a, args.chains, betas, rng)
    seconds = time.perf_counter() - start
    log_z_base = softplus(b_a.astype(np.float64)).sum() + W.shape[1] * np.log(2.0)
    m = log_w.max()
    w = np.exp(log_w - m)
    mean_w = w.mean()
    log_z = log_z_base + m + np.log(mean_w)
    stderr = np.sqrt(w.var(ddof=1) / len(w)) / mean_w
    ess = w.sum() ** 2 / (w**2).sum()
    result = {
        "library": "numpy",
        "numpy": np.__version__,
        "log_z": float(log_z),
        "log_z_stderr": float(stderr),
        "ess": float(ess),
        "chains": args.chains,
        "betas": len(betas) - 1,
        "seconds": seconds,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"numpy {np.__version__}: AIS ln Z = {log_z:.4f} ± {stderr:.4f} (ESS {ess:.1f} of {args.chains}), "
            f"{args.chains} chains × {len(betas) - 1} temperatures in {seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
