#!/usr/bin/env bash
# The bar of issue #14, parts (a) and (b): RBMs trained on 10^5
# configurations of the periodic 2D Ising model at J/T = 0.3 (`vrg ising
# sample`), then their effective couplings (`vrg rg couplings`):
#   (a) 4x4 lattice, 16 visible x 16 hidden, exact Walsh-Hadamard expansion:
#       nearest-neighbour pairs within 5% of 0.3 on average, every other
#       pair below 0.03, the sizes of three- and four-body terms;
#   (b) 8x8 lattice, 64 visible x 64 hidden, Monte Carlo (unbiased, with
#       standard errors) beside the Gaussian approximation of Decelle et al.
#       (2024): nearest neighbours within 10% of 0.3.
# Both RBMs have +-1 spin units on both sides (PCD-5, 300 / 200 epochs, lr
# 0.02 -> 0.0005, momentum 0.5, no weight decay); `--units bernoulli` runs
# (a) with 0/1 units instead, for comparison.
#
# Usage: bash crates/vrg/benches/effective_couplings.sh [OUT_DIR] [--units bernoulli]
#        (default /tmp/vrg-effective-couplings; about 6 minutes on 2 cores)
#
# Needs no data files. The checks run $VRG_PYTHON (default python3; the
# standard library is enough).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/vrg-effective-couplings}
units=spin
if [[ ${2:-} == --units ]]; then units=${3:?--units needs bernoulli or spin}; fi
python=${VRG_PYTHON:-python3}
cargo build --release --quiet
vrg=./target/release/vrg
mkdir -p "$out"
K=0.3
T=$("$python" -c "print(repr(1 / $K))")

for L in 4 8; do
  [[ -f $out/ising$L.npy ]] || "$vrg" ising sample --size $L --temperature "$T" --samples 100000 \
    --sweeps 2 --seed $L --out "$out/ising$L.npy"
done

train() { # L hidden epochs
  "$vrg" rbm train --data "$out/ising$1.npy" --hidden "$2" --visible-units "$units" \
    --hidden-units "$units" --method pcd --k 5 --epochs "$3" --lr 0.02 --lr-final 0.0005 \
    --momentum 0.5 --l2 0 --out "$out/rbm$1.safetensors" --log "$out/train$1.jsonl" | tail -n 2
}
TIMEFORMAT="wall %R s"
echo "(a) training, 4x4:"; time train 4 16 300
echo "(a) exact couplings:"
time "$vrg" rg couplings --model "$out/rbm4.safetensors" --method exact --data-coupling $K --out "$out/exact4"
echo "(b) training, 8x8:"; time train 8 64 200
echo "(b) Monte Carlo couplings:"
time "$vrg" rg couplings --model "$out/rbm8.safetensors" --method monte-carlo --distance 2 \
  --samples 100000 --data-coupling $K --out "$out/mc8"
echo "(b) Gaussian couplings:"
time "$vrg" rg couplings --model "$out/rbm8.safetensors" --method gaussian --distance 2 \
  --data-coupling $K --out "$out/gauss8"

"$python" - "$out" $K <<'PY'
import json, math, sys
out, K = sys.argv[1], float(sys.argv[2])

def load(name):
    return json.load(open(f"{out}/{name}/couplings.json"))

def pairs_by_shell(c, L):
    shells = {}
    for e in c["couplings"]:
        s = e["sites"]
        if len(s) != 2:
            continue
        (ri, ci), (rj, cj) = divmod(s[0], L), divmod(s[1], L)
        dr, dc = abs(ri - rj), abs(ci - cj)
        d2 = min(dr, L - dr) ** 2 + min(dc, L - dc) ** 2
        shells.setdefault(d2, {})[tuple(s)] = e
    return shells

def verdict(ok):
    return "PASS" if ok else "FAIL"

a = load("exact4")
shells = pairs_by_shell(a, 4)
nn = [e["value"] for e in shells[1].values()]
others = [abs(e["value"]) for d2, es in shells.items() if d2 != 1 for e in es.values()]
mean_nn = sum(nn) / len(nn)
print(f"(a) 4x4, exact: nearest-neighbour mean K = {mean_nn:.4f} ({100 * (mean_nn / K - 1):+.1f}% of {K}; "
      f"bar within 5%: {verdict(abs(mean_nn / K - 1) < 0.05)}), range {min(nn):.4f} .. {max(nn):.4f}")
print(f"    every other pair: max |K| = {max(others):.4f} (bar < 0.03: {verdict(max(others) < 0.03)})")
for o in a["by_order"]:
    print(f"    order {o['order']}: {o['count']} terms, mean |K| {o['mean_abs']:.2e}, max |K| {o['max_abs']:.2e}")

mc, ga = load("mc8"), load("gauss8")
smc, sga = pairs_by_shell(mc, 8), pairs_by_shell(ga, 8)
for d2, label in ((1, "nearest"), (2, "next-nearest (diagonal)"), (4, "distance 2")):
    m, g = smc[d2], sga[d2]
    mean_m = sum(e["value"] for e in m.values()) / len(m)
    mean_g = sum(e["value"] for e in g.values()) / len(g)
    se = math.sqrt(sum(e["stderr"] ** 2 for e in m.values())) / len(m)
    diff = [g[k]["value"] - m[k]["value"] for k in m]
    rms = math.sqrt(sum(x * x for x in diff) / len(diff))
    line = (f"(b) 8x8 {label}: Monte Carlo mean K = {mean_m:.4f} ± {se:.1e}, Gaussian {mean_g:.4f}; "
            f"Gaussian - Monte Carlo per pair: rms {rms:.4f}, max {max(map(abs, diff)):.4f}")
    if d2 == 1:
        line += (f"; bar within 10% of {K}: Monte Carlo {verdict(abs(mean_m / K - 1) < 0.1)}, "
                 f"Gaussian {verdict(abs(mean_g / K - 1) < 0.1)}; rms relative to K: {100 * rms / K:.1f}%")
    print(line)
PY
