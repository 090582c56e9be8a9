#!/usr/bin/env bash
# AIS speed: vrg beside a NumPy implementation of the same run, on one model.
#
#   bash crates/vrg/benches/ais_compare.sh MODEL.safetensors [BETAS] [PYTHON]
#
# Both estimate ln Z of MODEL (a 784-visible Bernoulli RBM) with 100 chains
# and BETAS temperatures (default 14 500, Salakhutdinov & Murray's schedule),
# base rates from the mean MNIST training intensities; prints both estimates, their
# seconds (AIS only) and the ratio. PYTHON needs numpy (default
# /work/bench-venv/bin/python; see rbm_reference.py for the venv).
set -euo pipefail
cd "$(dirname "$0")/../../.."
model=$1
betas=${2:-14500}
python=${3:-/work/bench-venv/bin/python}
mnist=../shared/data/mnist
vrg_json=$(cargo bench -q -p vrg --bench partition -- --ais --model "$model" --betas "$betas" --json | tail -1)
numpy_json=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" crates/vrg/benches/ais_reference.py \
    "$model" --mnist "$mnist" --chains 100 --betas "$betas" --json)
python3 - "$vrg_json" "$numpy_json" <<'PY'
import json, sys
v, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for name, r in (("vrg", v), ("numpy", n)):
    print(f"{name:>6}: ln Z = {r['log_z']:.4f} ± {r['log_z_stderr']:.4f}  ESS {r['ess']:6.1f}  "
          f"{r['chains']} chains × {r['betas']} temperatures  {r['seconds']:8.2f} s")
print(f"numpy / vrg time: {n['seconds'] / v['seconds']:.1f}×")
PY
