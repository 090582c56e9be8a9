#!/usr/bin/env bash
# RBM training throughput: vrg beside scikit-learn and PyTorch CPU, in one run.
#
#   bash crates/vrg/benches/rbm_compare.sh [PYTHON]
#
# PYTHON (default: $VRG_PYTHON, else python3) is an interpreter with numpy,
# scikit-learn, threadpoolctl and torch, e.g. a venv outside the repository:
#
#   python3 -m venv ~/vrg-bench-venv
#   ~/vrg-bench-venv/bin/pip install numpy scikit-learn threadpoolctl torch
#   VRG_PYTHON=~/vrg-bench-venv/bin/python bash crates/vrg/benches/rbm_compare.sh
#
# The full MNIST files come from $VRG_MNIST_DIR (default ../shared/data/mnist;
# a relative path is taken from the repository root).
# Runs the Rust benchmark (`cargo bench -p vrg --bench rbm -- --json`), then
# the Python references on the same machine, and prints samples/s and the
# ratios the bar is stated in. Both sides record the CPU share other
# processes used during each measurement; rows above 10% are marked.
set -euo pipefail
cd "$(dirname "$0")/../../.."
python=${1:-${VRG_PYTHON:-python3}}
# shellcheck source=common/mnist.sh
source crates/vrg/benches/common/mnist.sh
if ! "$python" -c 'import numpy, sklearn, threadpoolctl, torch' 2>/dev/null; then
    echo "$0: '$python' cannot import numpy, sklearn, threadpoolctl and torch;" \
        "pass PYTHON or set VRG_PYTHON (see this script's header)" >&2
    exit 2
fi
out=$(mktemp -d)
cargo bench -p vrg --bench rbm -- --json > "$out/vrg.jsonl"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" crates/vrg/benches/rbm_reference.py \
    --mnist "$VRG_MNIST_DIR" --json --no-partial-fit --wait-quiet 60 --max-reruns 2 > "$out/reference.jsonl"
"$python" - "$out/vrg.jsonl" "$out/reference.jsonl" <<'PY'
import json, sys
rows = []
for path in sys.argv[1:]:
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
def rate(lib, method, batch, threads=2):
    best = [r for r in rows if r["library"].startswith(lib) and r["method"].lower().startswith(method)
            and r["batch"] == batch and r.get("threads", 2) == threads
            and r.get("dtype", "float32") == "float32" and "contaminated" not in r.get("status", "ok")]
    return max((r["samples_per_second"] for r in best), default=float("nan"))
print(f"{'library':<14}{'method':<8}{'batch':>6}{'threads':>8}{'samples/s':>12}{'others':>9}")
for r in rows:
    print(f"{r['library']:<14}{r['method']:<8}{r['batch']:>6}{r.get('threads', 2):>8}"
          f"{r['samples_per_second']:>12.0f}{100 * r.get('others_cpu_share', 0):>8.1f}%")
print()
for batch in (100, 1000):
    v_pcd, s_pcd = rate("vrg", "pcd", batch), rate("scikit", "pcd", batch)
    print(f"batch {batch}: vrg PCD-1 / scikit-learn PCD-1 = {v_pcd / s_pcd:.2f} (bar 2.0)")
v_cd, t_cd = rate("vrg", "cd", 100), rate("pytorch", "cd", 100)
print(f"batch 100: vrg CD-1 / PyTorch CD-1 = {v_cd / t_cd:.2f} (bar 1.6)")
PY
