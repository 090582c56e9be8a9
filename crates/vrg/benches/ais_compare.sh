#!/usr/bin/env bash
# AIS speed: vrg beside a NumPy implementation of the same run, on one model.
#
#   bash crates/vrg/benches/ais_compare.sh MODEL.safetensors [BETAS] [PYTHON]
#
# Both estimate ln Z of MODEL (a 784-visible Bernoulli RBM) with 100 chains
# and BETAS temperatures (default 14 500, Salakhutdinov & Murray's schedule),
# base rates from the mean MNIST training intensities; prints both estimates, their
# seconds (AIS only) and the ratio.
#
# PYTHON (default: $VRG_PYTHON, else python3) needs numpy, e.g. a venv
# outside the repository:
#
#   python3 -m venv ~/vrg-bench-venv && ~/vrg-bench-venv/bin/pip install numpy
#   VRG_PYTHON=~/vrg-bench-venv/bin/python bash crates/vrg/benches/ais_compare.sh MODEL.safetensors
#
# The full MNIST files come from $VRG_MNIST_DIR (default ../shared/data/mnist;
# a relative path is taken from the repository root).
set -euo pipefail
model=${1:?usage: ais_compare.sh MODEL.safetensors [BETAS] [PYTHON]}
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
cd "$(dirname "$0")/../../.."
betas=${2:-14500}
python=${3:-${VRG_PYTHON:-python3}}
# shellcheck source=common/mnist.sh
source crates/vrg/benches/common/mnist.sh
if ! "$python" -c 'import numpy' 2>/dev/null; then
    echo "$0: '$python' cannot import numpy; pass PYTHON or set VRG_PYTHON (see this script's header)" >&2
    exit 2
fi
vrg_json=$(cargo bench -q -p vrg --bench partition -- --ais --model "$model" --betas "$betas" --json | tail -1)
numpy_json=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" crates/vrg/benches/ais_reference.py \
    "$model" --mnist "$VRG_MNIST_DIR" --chains 100 --betas "$betas" --json)
"$python" - "$vrg_json" "$numpy_json" <<'PY'
import json, sys
v, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for name, r in (("vrg", v), ("numpy", n)):
    print(f"{name:>6}: ln Z = {r['log_z']:.4f} ± {r['log_z_stderr']:.4f}  ESS {r['ess']:6.1f}  "
          f"{r['chains']} chains × {r['betas']} temperatures  {r['seconds']:8.2f} s")
print(f"numpy / vrg time: {n['seconds'] / v['seconds']:.1f}×")
PY
