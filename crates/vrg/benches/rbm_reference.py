#!/usr/bin/env python3
"""Python reference throughput for RBM training on MNIST (784x500, float32).

This script is NOT part of the Rust build; it gives reference numbers
(samples/s) from scikit-learn's BernoulliRBM and a plain PyTorch CPU RBM to
compare the vrg crate's RBM trainer against, on the same machine.

Environment
-----------
Needs numpy, scikit-learn, threadpoolctl and torch, e.g. in a venv outside
the repository (rbm_compare.sh runs it with $VRG_PYTHON):

    python3 -m venv ~/vrg-bench-venv
    ~/vrg-bench-venv/bin/pip install numpy scikit-learn threadpoolctl torch
    export VRG_PYTHON=~/vrg-bench-venv/bin/python

The full MNIST files come from --mnist DIR, else $VRG_MNIST_DIR, else
../shared/data/mnist (a relative VRG_MNIST_DIR or the default is taken from
the repository root).

On this machine OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE may be set in the
environment (a workaround for old OpenBLAS builds). They force OpenBLAS onto
a generic / mistuned kernel, so for a fair benchmark run the script with both
unset, for that command only:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        "$VRG_PYTHON" crates/vrg/benches/rbm_reference.py

The script prints which BLAS library and kernel numpy uses
(threadpoolctl.threadpool_info()) and warns if either variable is set.

What is measured
----------------
* scikit-learn BernoulliRBM(n_components=500, learning_rate=0.01, n_iter=1),
  PCD-1, batch 100 and 1000:
  - ``fit`` (n_iter=1) on float32 input: one epoch over the 60 000 images in
    contiguous minibatches (views, no copy). Since scikit-learn 1.2 ``fit``
    preserves float32: components_, intercepts and h_samples_ get X.dtype, so
    the matrix products run in sgemm. (The uniform random numbers it draws
    for sampling are float64, and the sampled visible layer is a bool array
    that numpy casts to float32 before each product that uses it.)
  - ``partial_fit`` called once per minibatch: this is the same _fit step,
    but partial_fit validates its input with dtype=np.float64 and creates
    float64 parameters, so it ALWAYS computes in float64 (plus a per-call
    check_array). It is reported as a separate row with dtype float64; the
    fair float32 per-epoch figure is the ``fit`` row.
  scikit-learn has no momentum and no weight decay.
* PyTorch CPU, CD-1 and PCD-1, batch 100 and 1000, momentum 0.5,
  lr 0.01, weight decay 1e-4 (on W only), Bernoulli units, float32,
  torch.no_grad(), preallocated buffers and in-place ops. Per batch:
      ph0 = sigmoid(v0 W + c);  h0 ~ Bernoulli(ph0)
      (CD-1: chain starts at h0; PCD-1: at the persistent hidden state)
      pv1 = sigmoid(h W^T + b); v1 ~ Bernoulli(pv1)
      ph1 = sigmoid(v1 W + c)
      vW = m vW + lr ((v0^T ph0 - v1^T ph1)/B - wd W);  W += vW
      vb = m vb + lr (sum v0 - sum v1)/B;               b += vb
      vc = m vc + lr (sum ph0 - sum ph1)/B;             c += vc
      (PCD-1: persistent state <- Bernoulli(ph1))
  The statistics use hidden probabilities, as scikit-learn and Hinton's
  practical guide do; sampling them instead would cost the same.
  Units are sampled as (uniform_() < p) into a preallocated float32 buffer;
  torch.bernoulli(p) gives the same distribution but is about 4x slower on
  CPU (single-threaded per-element path, ~9 ms for 1000x784 here), which at
  batch 100 costs ~1/3 of the throughput: --torch-sampler bernoulli times
  that variant.

Each measurement: one warm-up epoch over a subset (--warmup-samples), then
the median of --runs timed epochs over all the training images (fewer runs
if one epoch is slower than --slow-seconds). samples/s = n_samples / median.

Load guard: /proc/stat is read before and after the timed runs; the share of
the machine's CPU time used by other processes is (busy jiffies - this
process's utime+stime from /proc/self/stat) / total jiffies. A row whose
share exceeds --contamination (default 0.10) is marked "contaminated" and
rerun once (--max-reruns; every attempt is printed). With --wait-quiet S the
script first waits (up to S seconds) for the others to go quiet. Note that
2-thread BLAS / OpenMP degrades far more than proportionally when another
process takes a core (a 2-thread sgemm at batch 100 ran ~50x slower with
others at 50%), so contaminated rows are not just a little low: discard them.

Usage
-----
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$VRG_PYTHON" \
        crates/vrg/benches/rbm_reference.py [--mnist DIR] [--threads 2]
        [--batches 100,1000] [--cases sklearn,torch] [--runs 3]
        [--warmup-samples 6000] [--samples 60000] [--sklearn-float64]
        [--no-partial-fit] [--torch-sampler uniform|bernoulli]
        [--contamination 0.10] [--max-reruns 1] [--wait-quiet S] [--json]

With --json the rows are written to stdout as JSON lines (keys library,
method, batch, threads, samples_per_second, seconds, dtype,
others_cpu_share, plus status and runs) and everything else goes to stderr.
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time

try:
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError as e:
    sys.exit(f"{sys.argv[0]}: {sys.executable} lacks {e.name}; see this script's header for a venv")

N_VISIBLE = 784
N_HIDDEN = 500
LEARNING_RATE = 0.01
MOMENTUM = 0.5
WEIGHT_DECAY = 1e-4
REPOSITORY = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../.."))
DEFAULT_MNIST = os.path.normpath(
    os.path.join(REPOSITORY, os.environ.get("VRG_MNIST_DIR") or "../shared/data/mnist")
)


# --------------------------------------------------------------------------
# data


def load_mnist_images(directory, name="train-images-idx3-ubyte.gz"):
    """Read a gzipped IDX3 image file; return float32 (n, 784) in [0, 1]."""
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        sys.exit(f"{sys.argv[0]}: the full MNIST files are needed and {path} does not exist; "
                 "set VRG_MNIST_DIR or pass --mnist DIR (a directory holding the original IDX files)")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = np.frombuffer(raw, dtype=">u4", count=4)
    if magic != 2051:
        raise ValueError(f"{path}: bad IDX3 magic {magic}")
    pixels = np.frombuffer(raw, dtype=np.uint8, count=n * rows * cols, offset=16)
    x = pixels.reshape(n, rows * cols).astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    return x


# --------------------------------------------------------------------------
# load guard


def _read_proc_stat():
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    assert fields[0] == "cpu"
    v = [int(x) for x in fields[1:]]
    user, nice, system, idle, iowait, irq, softirq = v[:7]
    steal = v[7] if len(v) > 7 else 0
    # guest / guest_nice are already counted in user / nice.
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def _read_self_cpu():
    """This process's utime + stime (all threads), in jiffies."""
    with open("/proc/self/stat") as f:
        data = f.read()
    # comm may contain spaces: split after the closing parenthesis.
    rest = data[data.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    return int(rest[11]) + int(rest[12])


class LoadGuard:
    def __enter__(self):
        self.busy0, self.total0 = _read_proc_stat()
        self.own0 = _read_self_cpu()
        return self

    def __exit__(self, *exc):
        busy1, total1 = _read_proc_stat()
        own1 = _read_self_cpu()
        d_total = max(total1 - self.total0, 1)
        others = (busy1 - self.busy0) - (own1 - self.own0)
        self.others_share = max(others, 0) / d_total
        self.own_share = (own1 - self.own0) / d_total
        return False


def wait_until_quiet(threshold, timeout, window=1.0, need=3):
    """Wait (up to timeout s) until others used <= threshold of the machine
    for `need` consecutive windows; return the seconds waited."""
    t0 = time.monotonic()
    quiet = 0
    while quiet < need and time.monotonic() - t0 < timeout:
        with LoadGuard() as g:
            time.sleep(window)
        quiet = quiet + 1 if g.others_share <= threshold else 0
    return time.monotonic() - t0


# --------------------------------------------------------------------------
# scikit-learn


def sklearn_epoch_fn(x, batch, method, dtype):
    from sklearn.neural_network import BernoulliRBM

    xs = x if x.dtype == dtype else x.astype(dtype)

    def make():
        return BernoulliRBM(
            n_components=N_HIDDEN,
            batch_size=batch,
            learning_rate=LEARNING_RATE,
            n_iter=1,
            random_state=0,
        )

    if method == "fit":

        def epoch(n):
            rbm = make()
            rbm.fit(xs[:n])
            return rbm

    elif method == "partial_fit":

        def epoch(n):
            rbm = make()
            for start in range(0, n, batch):
                rbm.partial_fit(xs[start : min(start + batch, n)])
            return rbm

    else:
        raise ValueError(method)
    return epoch


# --------------------------------------------------------------------------
# PyTorch


class TorchRBM:
    """Bernoulli-Bernoulli RBM, CD-1 / PCD-1 with momentum and weight decay."""

    def __init__(self, torch, batch, persistent, sampler="uniform", seed=0):
        self.torch = torch
        self.batch = batch
        self.persistent = persistent
        self.sampler = sampler
        f32 = torch.float32
        self.gen = torch.Generator().manual_seed(seed)
        self.W = torch.randn(N_VISIBLE, N_HIDDEN, generator=self.gen, dtype=f32)
        self.W.mul_(0.01)
        self.b = torch.zeros(N_VISIBLE, dtype=f32)
        self.c = torch.zeros(N_HIDDEN, dtype=f32)
        self.vW = torch.zeros_like(self.W)
        self.vb = torch.zeros_like(self.b)
        self.vc = torch.zeros_like(self.c)
        B = batch
        self.ph0 = torch.empty(B, N_HIDDEN, dtype=f32)
        self.h0 = torch.empty(B, N_HIDDEN, dtype=f32)
        self.pv1 = torch.empty(B, N_VISIBLE, dtype=f32)
        self.v1 = torch.empty(B, N_VISIBLE, dtype=f32)
        self.ph1 = torch.empty(B, N_HIDDEN, dtype=f32)
        self.u = torch.empty(B * max(N_VISIBLE, N_HIDDEN), dtype=f32)
        self.sv = torch.empty(N_VISIBLE, dtype=f32)
        self.sh = torch.empty(N_HIDDEN, dtype=f32)
        # PCD: persistent hidden chain state (starts at 0 like scikit-learn).
        self.hp = torch.zeros(B, N_HIDDEN, dtype=f32)

    def sample(self, p, out):
        """out <- Bernoulli(p), as 0.0 / 1.0 float32."""
        if self.sampler == "bernoulli":
            self.torch.bernoulli(p, generator=self.gen, out=out)
        else:
            # uniform_ + lt is ~4x faster than torch.bernoulli on CPU
            # (torch 2.x), and draws the same distribution.
            u = self.u[: p.numel()].view(p.shape).uniform_(generator=self.gen)
            self.torch.lt(u, p, out=out)
        return out

    def step(self, v0):
        t = self.torch
        n = v0.shape[0]
        if n != self.batch:  # ragged last batch: use views of the buffers
            ph0, h0, pv1, v1, ph1 = (
                a[:n] for a in (self.ph0, self.h0, self.pv1, self.v1, self.ph1)
            )
            hp = self.hp[:n]
        else:
            ph0, h0, pv1, v1, ph1, hp = (
                self.ph0, self.h0, self.pv1, self.v1, self.ph1, self.hp
            )
        W, b, c = self.W, self.b, self.c

        # positive phase
        t.addmm(c, v0, W, out=ph0)
        ph0.sigmoid_()
        # negative phase: one Gibbs step from h0 (CD) or the chain (PCD)
        if self.persistent:
            h = hp
        else:
            h = self.sample(ph0, h0)
        t.addmm(b, h, W.t(), out=pv1)
        pv1.sigmoid_()
        self.sample(pv1, v1)
        t.addmm(c, v1, W, out=ph1)
        ph1.sigmoid_()

        # updates with momentum; weight decay on W only
        a = LEARNING_RATE / n
        self.vW.mul_(MOMENTUM)
        self.vW.addmm_(v0.t(), ph0, alpha=a)
        self.vW.addmm_(v1.t(), ph1, alpha=-a)
        self.vW.add_(W, alpha=-LEARNING_RATE * WEIGHT_DECAY)
        W.add_(self.vW)

        t.sum(v0, 0, out=self.sv)
        self.sv.sub_(v1.sum(0))
        self.vb.mul_(MOMENTUM).add_(self.sv, alpha=a)
        b.add_(self.vb)

        t.sum(ph0, 0, out=self.sh)
        self.sh.sub_(ph1.sum(0))
        self.vc.mul_(MOMENTUM).add_(self.sh, alpha=a)
        c.add_(self.vc)

        if self.persistent:
            self.sample(ph1, hp)


def torch_epoch_fn(x, batch, method, sampler):
    import torch

    xt = torch.from_numpy(x)  # shares memory with the numpy array
    persistent = method.startswith("PCD")

    def epoch(n):
        rbm = TorchRBM(torch, batch, persistent, sampler)
        with torch.no_grad():
            for start in range(0, n, batch):
                rbm.step(xt[start : min(start + batch, n)])
        return rbm

    return epoch


# --------------------------------------------------------------------------
# driver


def measure(epoch, n_samples, warmup, runs, slow_seconds, limits):
    with limits():
        epoch(warmup)
        times = []
        with LoadGuard() as guard:
            for _ in range(runs):
                t0 = time.perf_counter()
                epoch(n_samples)
                times.append(time.perf_counter() - t0)
                if times[-1] > slow_seconds:
                    break
    return statistics.median(times), times, guard


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mnist", default=DEFAULT_MNIST,
                   help="directory holding train-images-idx3-ubyte.gz")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batches", default="100,1000")
    p.add_argument("--cases", default="sklearn,torch",
                   help="comma list of: sklearn, torch")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup-samples", type=int, default=6000)
    p.add_argument("--samples", type=int, default=60000,
                   help="images per timed epoch (default: all 60 000)")
    p.add_argument("--slow-seconds", type=float, default=60.0,
                   help="stop repeating once one epoch takes longer than this")
    p.add_argument("--contamination", type=float, default=0.10,
                   help="others' CPU share above which a row is marked "
                        "contaminated and rerun (default 0.10)")
    p.add_argument("--max-reruns", type=int, default=1,
                   help="reruns of a contaminated row (default 1)")
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                   help="before each measurement wait up to S seconds for "
                        "3 s in a row in which others used at most "
                        "--contamination of the machine (default 0: no wait)")
    p.add_argument("--no-partial-fit", action="store_true",
                   help="skip the scikit-learn partial_fit (float64) rows")
    p.add_argument("--sklearn-float64", action="store_true",
                   help="also time scikit-learn fit on float64 input")
    p.add_argument("--torch-sampler", choices=("uniform", "bernoulli"),
                   default="uniform",
                   help="how the PyTorch RBM samples units: uniform_()+lt "
                        "(default) or torch.bernoulli (~4x slower per unit)")
    p.add_argument("--json", action="store_true",
                   help="rows as JSON lines on stdout; the rest on stderr")
    args = p.parse_args(argv)

    info = sys.stderr if args.json else sys.stdout

    def say(*a):
        print(*a, file=info, flush=True)

    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            say(f"WARNING: {var}={os.environ[var]} is set; rerun with "
                f"`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...` "
                f"for a fair benchmark")

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    batches = [int(b) for b in args.batches.split(",")]
    x = load_mnist_images(args.mnist)
    n = min(args.samples, x.shape[0])
    warm = min(args.warmup_samples, n)

    torch = None
    if "torch" in cases:
        import torch

        torch.set_num_threads(args.threads)

    say(f"python {platform.python_version()}, numpy {np.__version__}, "
        f"cpu count {os.cpu_count()}, threads {args.threads}")
    if "sklearn" in cases:
        import sklearn
        import scipy

        say(f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")
    if torch is not None:
        say(f"torch {torch.__version__}, mkl {torch.backends.mkl.is_available()}, "
            f"num_threads {torch.get_num_threads()}")
    say("threadpool_info (BLAS / OpenMP libraries loaded):")
    for lib in threadpool_info():
        say("  " + ", ".join(f"{k}={lib.get(k)}" for k in
                             ("user_api", "internal_api", "prefix", "version",
                              "architecture", "threading_layer", "num_threads")
                             if k in lib)
            + ", " + os.path.relpath(lib["filepath"], sys.prefix))
    say(f"MNIST train images: {x.shape} {x.dtype} from {args.mnist}; "
        f"timed epoch = {n} samples, warm-up = {warm} samples")

    plan = []
    for B in batches:
        if "sklearn" in cases:
            plan.append(("scikit-learn", "PCD-1 fit", B, np.float32))
            if args.sklearn_float64:
                plan.append(("scikit-learn", "PCD-1 fit", B, np.float64))
            if not args.no_partial_fit:
                plan.append(("scikit-learn", "PCD-1 partial_fit", B, np.float32))
        if "torch" in cases:
            tag = "" if args.torch_sampler == "uniform" else " bernoulli"
            plan.append(("pytorch-cpu", "CD-1" + tag, B, np.float32))
            plan.append(("pytorch-cpu", "PCD-1" + tag, B, np.float32))

    rows = []
    for library, method, B, in_dtype in plan:
        if library == "scikit-learn":
            epoch = sklearn_epoch_fn(x, B, method.split()[1], in_dtype)
            # which dtype it really computes in: look at a fitted model
            dtype = str(epoch(2 * B).components_.dtype)
            limits = lambda: threadpool_limits(limits=args.threads)
        else:
            epoch = torch_epoch_fn(x, B, method, args.torch_sampler)
            dtype = "float32"
            limits = lambda: threadpool_limits(limits=args.threads)
        for attempt in range(1 + args.max_reruns):
            if args.wait_quiet > 0:
                waited = wait_until_quiet(args.contamination, args.wait_quiet)
                if waited > 3.5:
                    say(f"  (waited {waited:.0f} s for a quiet machine)")
            med, times, guard = measure(epoch, n, warm, args.runs,
                                        args.slow_seconds, limits)
            contaminated = guard.others_share > args.contamination
            status = "contaminated" if contaminated else "ok"
            if attempt:
                status = f"rerun{attempt if args.max_reruns > 1 else ''}-" + status
            row = {
                "library": library,
                "method": method,
                "batch": B,
                "threads": args.threads,
                "samples_per_second": n / med,
                "seconds": med,
                "dtype": dtype,
                "others_cpu_share": round(guard.others_share, 4),
                "status": status,
                "runs": [round(t, 4) for t in times],
            }
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
            say(f"  {library:12s} {method:17s} B={B:<5d} {dtype:7s} "
                f"{n / med:10.0f} samples/s  (runs {row['runs']}, "
                f"others {guard.others_share:.1%}, "
                f"own {guard.own_share:.1%}) {status}")
            if not contaminated:
                break

    say("")
    header = (f"{'library':12s} | {'method':17s} | {'batch':>5s} | "
              f"{'threads':>7s} | {'dtype':7s} | {'samples/s':>10s} | "
              f"{'s/epoch':>7s} | {'others':>6s} | status")
    say(header)
    say("-" * len(header))
    for r in rows:
        say(f"{r['library']:12s} | {r['method']:17s} | {r['batch']:5d} | "
            f"{r['threads']:7d} | {r['dtype']:7s} | "
            f"{r['samples_per_second']:10.0f} | {r['seconds']:7.3f} | "
            f"{r['others_cpu_share']:6.1%} | {r['status']}")


if __name__ == "__main__":
    main()
