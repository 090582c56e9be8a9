#!/usr/bin/env bash
# EMF training on the TAP free energy (Gabrié, Tramel & Krzakala 2015) beside
# PCD-1 on stochastically binarised MNIST, 784×500 (issue #17).
#
#   bash crates/vrg/benches/tap_mnist.sh [OUT_DIR] [EPOCHS]
#
# For each seed of $VRG_SEEDS (default "1 2 3": the initial weights and every
# training stream), trains three RBMs with the same epochs (default 20),
# batch (100), learning-rate schedule (0.01 → 0.0005), momentum (0.5
# throughout) and weight decay: PCD-1 (100 chains), TAP2 and TAP3 (20
# persistent magnetisations, 3 undamped sweeps, 1 restart per update, every
# other restart seeded by one of 10 persistent Gibbs chains, the states
# weighted by e^{−Γ}, the sweeps' products in bfloat16), on the
# 60 000 training images (each pixel 1 with probability intensity/255, drawn
# once with seed 1; the convention of likelihood_quality.sh). Each is
# evaluated on the 10 000 test images (binarised with seed 2) with AIS
# (100 chains × 14 500 temperatures), and its TAP1/TAP2/TAP3 ln Z is printed
# beside the AIS ln Z. Training time is the sum of the log's per-epoch
# seconds. The runs of seed S go to OUT_DIR/seed-S; the summary gives each
# seed's figures, then the gaps to PCD-1 over the seeds (mean, standard
# deviation, worst, how many within the bar): one seed's gap varies by
# 1–2 nats from seed to seed (crates/vrg/benches/RESULTS.md).
#
# Bars: TAP2 and TAP3 test log-likelihoods within 3 nats of PCD-1's; TAP
# training throughput (rows/s) at least half of PCD-1's. The throughput here
# comes from runs minutes apart, each exposed to the host's drift;
# tap_throughput.sh interleaves short runs of the three methods instead.
#
# The EMF runs' flags can be replaced through $VRG_TAP_FLAGS (default
# "--chains 20 --tap-iterations 3 --tap-damping 0 --tap-restarts 1
# --tap-gibbs-chains 10 --tap-weights boltzmann --tap-precision bf16"; drop
# --tap-gibbs-chains 10 --tap-weights boltzmann for restarts from the batch
# alone with uniform weights, as in the fifth session; empty for
# Boltzmann.jl's 3 damped sweeps without restarts), the flags of all
# three runs (the shared schedule) through $VRG_TRAIN_FLAGS (default
# "--momentum 0.5"; empty for the switch to 0.9 after epoch 5).
#
# Long: about 1.5 s per PCD epoch on two cores, EMF epochs a few times that,
# plus a minute of AIS per model: 6–7 minutes per seed. The full MNIST files come from
# $VRG_MNIST_DIR (default ../shared/data/mnist; relative to the repository
# root). The summary runs $VRG_PYTHON (default python3; standard library).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/vrg-tap-mnist}
epochs=${2:-20}
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
train=(--data "$mnist/train-images-idx3-ubyte.gz" --binarize stochastic:1 --validation-fraction 0
       --batch 100 --hidden 500 --epochs "$epochs" --lr 0.01 --lr-final 0.0005)
test=(--data "$mnist/t10k-images-idx3-ubyte.gz" --binarize stochastic:2)

read -r -a tap_flags <<< "${VRG_TAP_FLAGS---chains 20 --tap-iterations 3 --tap-damping 0 --tap-restarts 1 --tap-gibbs-chains 10 --tap-weights boltzmann --tap-precision bf16}"
read -r -a common_flags <<< "${VRG_TRAIN_FLAGS---momentum 0.5}"
read -r -a seeds <<< "${VRG_SEEDS-1 2 3}"
for seed in "${seeds[@]}"; do
    dir="$out/seed-$seed"
    mkdir -p "$dir"
    for method in pcd tap2 tap3; do
        extra=()
        if [[ $method != pcd ]]; then extra=("${tap_flags[@]}"); fi
        "$vrg" rbm train "${train[@]}" "${common_flags[@]}" --seed "$seed" --method "$method" \
            "${extra[@]}" --log "$dir/$method.jsonl" --out "$dir/$method.safetensors"
        "$vrg" rbm eval --model "$dir/$method.safetensors" "${test[@]}" --logz ais --json \
            > "$dir/$method-ais.json"
        for order in tap1 tap2 tap3; do
            "$vrg" rbm eval --model "$dir/$method.safetensors" "${test[@]}" --logz "$order" \
                --json > "$dir/$method-$order.json" \
                || echo "{\"method\": \"$order\", \"log_z\": null}" > "$dir/$method-$order.json"
        done
    done
done

"$python" - "$out" "${seeds[@]}" <<'PY'
import json, sys, os, statistics
out, seeds = sys.argv[1], sys.argv[2:]
rows = 60000
gaps = {"tap2": [], "tap3": []}
ratios = {"tap2": [], "tap3": []}
for seed in seeds:
    d = os.path.join(out, f"seed-{seed}")
    load = lambda name: json.load(open(os.path.join(d, name)))
    results = {}
    for method in ("pcd", "tap2", "tap3"):
        ais = load(f"{method}-ais.json")
        lines = [json.loads(l) for l in open(os.path.join(d, f"{method}.jsonl")) if l.strip()]
        s = sum(l.get("seconds", 0.0) for l in lines)
        results[method] = (ais["avg_log_likelihood"], len(lines) * rows / s if s > 0 else float("nan"))
        taps = []
        for order in ("tap1", "tap2", "tap3"):
            t = load(f"{method}-{order}.json")
            taps.append(f"{order} {t['log_z']:.2f}" if t.get("log_z") is not None else f"{order} (no convergence)")
        print(f"seed {seed}, 784×500 {method.upper()}: test log-likelihood {ais['avg_log_likelihood']:.2f} ± "
              f"{ais['avg_log_likelihood_stderr']:.2f} nats; ln Z AIS {ais['log_z']:.2f} ± {ais['log_z_stderr']:.2f} "
              f"(ESS {ais['ess']:.1f}); {', '.join(taps)}; training {s:.0f} s ({results[method][1]:.0f} rows/s)")
    pcd_ll, pcd_rate = results["pcd"]
    for method in ("tap2", "tap3"):
        ll, rate = results[method]
        gaps[method].append(ll - pcd_ll)
        ratios[method].append(rate / pcd_rate)
        print(f"seed {seed}, {method.upper()} − PCD: {ll - pcd_ll:+.2f} nats (bar: ≥ −3); "
              f"throughput {rate / pcd_rate:.2f} of PCD-1's (bar: ≥ 0.5)")
for method in ("tap2", "tap3"):
    g, r = gaps[method], ratios[method]
    sd = f"{statistics.stdev(g):.2f}" if len(g) > 1 else "n/a"
    print(f"{method.upper()} over {len(g)} seeds: gap to PCD-1 mean {statistics.mean(g):+.2f} nats "
          f"(standard deviation {sd}, worst {min(g):+.2f}, {sum(x >= -3 for x in g)} of {len(g)} within 3); "
          f"throughput {min(r):.2f}–{max(r):.2f} of PCD-1's")
PY
