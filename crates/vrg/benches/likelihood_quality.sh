#!/usr/bin/env bash
# Test-set log-likelihoods of 784×500 RBMs on stochastically binarised MNIST,
# beside Salakhutdinov & Murray (2008): CD-25, 500 hidden, −86.34 nats.
#
#   bash crates/vrg/benches/likelihood_quality.sh [OUT_DIR] [PCD_EPOCHS] [CD_EPOCHS]
#
# Trains one RBM with PCD-1 and one with CD-25 on the 60 000 training images
# (each pixel 1 with probability intensity/255, drawn once with seed 1), then
# evaluates both on the 10 000 test images (binarised likewise with seed 2)
# with AIS (100 chains × 14 500 temperatures). Also checks exact against
# AIS ln Z for a 784×25 RBM (bar: within 0.1 nats). Long: about
# 1.5·PCD_EPOCHS s + 10·CD_EPOCHS s on two cores (defaults 100 and 100:
# about 20 minutes), plus a few minutes of AIS.
#
# The full MNIST files come from $VRG_MNIST_DIR (default ../shared/data/mnist;
# a relative path is taken from the repository root). The summary at the end
# runs $VRG_PYTHON (default python3; the standard library is enough).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/vrg-likelihood}
pcd_epochs=${2:-100}
cd_epochs=${3:-100}
python=${VRG_PYTHON:-python3}
mnist=${VRG_MNIST_DIR:-../shared/data/mnist}
for file in train-images-idx3-ubyte.gz t10k-images-idx3-ubyte.gz; do
    if [[ ! -f $mnist/$file ]]; then
        echo "$0: the full MNIST files are needed and $mnist/$file (from $PWD) does not exist;" \
            "set VRG_MNIST_DIR to a directory holding the original IDX files" >&2
        exit 2
    fi
done
mkdir -p "$out"
cargo build --release -p vrg-cli
vrg=target/release/vrg
train=(--data "$mnist/train-images-idx3-ubyte.gz" --binarize stochastic:1 --validation-fraction 0 --batch 100)
test=(--data "$mnist/t10k-images-idx3-ubyte.gz" --binarize stochastic:2)

"$vrg" rbm train "${train[@]}" --hidden 25 --method pcd --epochs 20 --lr 0.05 --lr-final 0.001 \
    --log "$out/small.jsonl" --out "$out/small.safetensors"
"$vrg" rbm eval --model "$out/small.safetensors" "${test[@]}" --logz exact --json > "$out/small-exact.json"
"$vrg" rbm eval --model "$out/small.safetensors" "${test[@]}" --logz ais --json > "$out/small-ais.json"

"$vrg" rbm train "${train[@]}" --hidden 500 --method pcd --epochs "$pcd_epochs" --lr 0.01 --lr-final 0.0005 \
    --log "$out/pcd.jsonl" --out "$out/pcd.safetensors"
"$vrg" rbm eval --model "$out/pcd.safetensors" "${test[@]}" --logz ais --json > "$out/pcd-ais.json"

"$vrg" rbm train "${train[@]}" --hidden 500 --method cd --k 25 --epochs "$cd_epochs" --lr 0.01 --lr-final 0.0005 \
    --log "$out/cd25.jsonl" --out "$out/cd25.safetensors"
"$vrg" rbm eval --model "$out/cd25.safetensors" "${test[@]}" --logz ais --json > "$out/cd25-ais.json"

"$python" - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
load = lambda name: json.load(open(os.path.join(out, name)))
exact, ais = load("small-exact.json"), load("small-ais.json")
print(f"784×25 PCD: ln Z exact {exact['log_z']:.4f}, AIS {ais['log_z']:.4f} ± {ais['log_z_stderr']:.4f} "
      f"(difference {ais['log_z'] - exact['log_z']:+.4f} nats; bar: within 0.1); "
      f"test log-likelihood {exact['avg_log_likelihood']:.2f}")
for name in ("pcd", "cd25"):
    r = load(f"{name}-ais.json")
    print(f"784×500 {name.upper()}: test log-likelihood {r['avg_log_likelihood']:.2f} ± {r['avg_log_likelihood_stderr']:.2f} nats "
          f"(ln Z {r['log_z']:.2f}, ESS {r['ess']:.1f}); Salakhutdinov & Murray 2008 CD-25: -86.34; bar: -90")
PY
