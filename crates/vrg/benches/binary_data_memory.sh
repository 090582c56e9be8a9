#!/usr/bin/env bash
# Peak memory of `vrg rbm train` on all of MNIST (issue #18 item 3): binary
# data are packed one bit per value after preprocessing, so the 60 000
# stochastically binarised images take 6 MB, not 188 MB of f32.
#
#   bash crates/vrg/benches/binary_data_memory.sh [OTHER_VRG]
#
# Trains 784×500 for one epoch (default batch, --binarize stochastic:1),
# with the default --validation-fraction (0.1) and with none, and prints the
# maximum resident set size (GNU time's "Maximum resident set size") and
# the epoch's seconds. With OTHER_VRG (a vrg binary, e.g. one built before
# packing) the same runs of that binary alternate with this one's, so both
# see the same machine load; the two must write the same parameters.
#
# Bar: peak RSS ≤ 100 MB (409 MB before packing); epoch time not above the
# other binary's beyond the run-to-run noise. Needs /usr/bin/time (GNU) and
# the full MNIST files in $VRG_MNIST_DIR (default ../shared/data/mnist;
# relative to the repository root). About 10 s per run on two cores.
set -euo pipefail
cd "$(dirname "$0")/../../.."
mnist=${VRG_MNIST_DIR:-../shared/data/mnist}
data=$mnist/train-images-idx3-ubyte.gz
if [[ ! -f $data ]]; then
    echo "$0: the full MNIST training images are needed and $data (from $PWD) does not exist;" \
        "set VRG_MNIST_DIR to a directory holding the original IDX files" >&2
    exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "$0: GNU time (/usr/bin/time) is needed for the peak memory" >&2
    exit 2
fi
cargo build --release -p vrg-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp target/release/vrg "$out/vrg-this"
binaries=(this)
if [[ $# -ge 1 ]]; then
    cp "$1" "$out/vrg-other"
    binaries=(other this)
fi
uptime
for fraction in 0.1 0; do
    for name in "${binaries[@]}"; do
        /usr/bin/time -v "$out/vrg-$name" rbm train --data "$data" --binarize stochastic:1 \
            --hidden 500 --epochs 1 --validation-fraction "$fraction" \
            --out "$out/$name-$fraction.safetensors" 2> "$out/$name.err"
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/$name.err")
        seconds=$(sed -n 's/^epoch 1\/1 .* \([0-9.]*\) s$/\1/p' "$out/$name.err")
        printf '%-5s validation fraction %-3s  max RSS %6.1f MB  epoch %s s\n' \
            "$name" "$fraction" "$(echo "$rss / 1000" | bc -l)" "$seconds"
    done
    if [[ ${#binaries[@]} -eq 2 ]]; then
        # Same parameters: the tensors (everything before the metadata's
        # timings) are compared through vrg's own reader.
        "$out/vrg-this" rbm free-energy --model "$out/this-$fraction.safetensors" \
            --data "$data" --binarize stochastic:1 --limit 1000 > "$out/a.txt"
        "$out/vrg-this" rbm free-energy --model "$out/other-$fraction.safetensors" \
            --data "$data" --binarize stochastic:1 --limit 1000 > "$out/b.txt"
        if cmp -s <(cut -d'(' -f1 "$out/a.txt") <(cut -d'(' -f1 "$out/b.txt"); then
            echo "same model from both binaries (free energies of 1000 rows agree)"
        else
            echo "the two binaries trained different models" >&2
            exit 1
        fi
    fi
done
uptime
