#!/usr/bin/env bash
# EMF training throughput beside PCD-1 (issue #17's second bar: TAP2 and TAP3
# at least half of PCD-1's rows per second), measured in interleaved rounds.
#
#   bash crates/vrg/benches/tap_throughput.sh [ROUNDS] [EPOCHS]
#
# Each round trains PCD-1, TAP2 and TAP3 for EPOCHS epochs (default 3) on the
# 60 000 stochastically binarised MNIST training images, 784×500, with the
# flags of tap_mnist.sh (batch 100, momentum 0.5, the EMF runs with
# $VRG_TAP_FLAGS, default "--chains 20 --tap-iterations 3 --tap-damping 0
# --tap-restarts 1 --tap-gibbs-chains 10 --tap-weights boltzmann
# --tap-precision bf16"), one run after the other; ROUNDS rounds (default 8).
# Each epoch's seconds come from the training log. On a shared host the
# speed of every run drifts by tens of percent within minutes; interleaving
# puts the three methods under the same load, so the ratios are taken round
# by round. Prints each method's mean seconds per epoch, its ratio to PCD-1
# (mean over all epochs) and the range and median of the per-round ratios.
#
# About 20 s per round on two cores. The full MNIST files come from
# $VRG_MNIST_DIR (default ../shared/data/mnist; relative to the repository
# root). The summary runs $VRG_PYTHON (default python3; standard library).
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-8}
epochs=${2:-3}
python=${VRG_PYTHON:-python3}
# shellcheck source=common/mnist.sh
source crates/vrg/benches/common/mnist.sh
cargo build --release -p vrg-cli
vrg=target/release/vrg
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
read -r -a tap_flags <<< "${VRG_TAP_FLAGS---chains 20 --tap-iterations 3 --tap-damping 0 --tap-restarts 1 --tap-gibbs-chains 10 --tap-weights boltzmann --tap-precision bf16}"
train=(--data "$VRG_MNIST_DIR/train-images-idx3-ubyte.gz" --binarize stochastic:1
       --validation-fraction 0 --batch 100 --hidden 500 --epochs "$epochs"
       --lr 0.01 --lr-final 0.0005 --momentum 0.5)
for round in $(seq 1 "$rounds"); do
    for method in pcd tap2 tap3; do
        extra=()
        if [[ $method != pcd ]]; then extra=("${tap_flags[@]}"); fi
        if ! "$vrg" rbm train "${train[@]}" --method "$method" "${extra[@]}" \
            --log "$out/$round-$method.jsonl" --out "$out/$method.safetensors" \
            > /dev/null 2> "$out/stderr"; then
            cat "$out/stderr" >&2
            exit 1
        fi
    done
    echo "round $round of $rounds done" >&2
done
"$python" - "$out" "$rounds" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
seconds = {}
for method in ("pcd", "tap2", "tap3"):
    seconds[method] = []
    for r in range(1, rounds + 1):
        path = os.path.join(out, f"{r}-{method}.jsonl")
        seconds[method].append([json.loads(l)["seconds"] for l in open(path) if l.strip()])
mean = lambda xs: sum(xs) / len(xs)
pcd_all = mean([s for r in seconds["pcd"] for s in r])
print(f"784×500 MNIST, {rounds} interleaved rounds of {len(seconds['pcd'][0])} epochs")
print(f"PCD-1: {pcd_all:.3f} s per epoch (epochs {min(min(r) for r in seconds['pcd']):.2f}–"
      f"{max(max(r) for r in seconds['pcd']):.2f} s)")
for method in ("tap2", "tap3"):
    every = [s for r in seconds[method] for s in r]
    per_round = [mean(p) / mean(m) for p, m in zip(seconds["pcd"], seconds[method])]
    print(f"{method.upper()}: {mean(every):.3f} s per epoch, {pcd_all / mean(every):.2f} of PCD-1's "
          f"throughput (bar: ≥ 0.5); rounds {min(per_round):.2f}–{max(per_round):.2f}, "
          f"median {statistics.median(per_round):.2f}")
PY
