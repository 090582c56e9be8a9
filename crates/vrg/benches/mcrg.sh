#!/usr/bin/env bash
# The bar of issue #16 part 2: Swendsen's Monte Carlo RG of the critical 2D
# Ising model. Samples L = 64 at T_c = 2/ln(1+√2) with Wolff clusters
# (10⁵ configurations from two chains of 5·10⁴, 2 sweeps apart: τ_e ≈ 2
# sweeps at L = 32–64, and the jackknife's 20 blocks of 5000 consecutive
# configurations absorb what correlation is left), then `vrg rg mcrg`
# with 2 × 2 majority blocks. Bar: at levels 2 and 3, |y_H − 1.875| < 0.02
# and |y_T − 1| < 0.06; sampling + MCRG under 5 minutes on 2 cores.
# Also reported: level 1 (biased: the nearest-neighbour Hamiltonian is far
# from the fixed point after one step), 3 × 3 blocks at L = 81, and the
# matched-lattice variant (L = 64 against L = 32).
#
# Usage: bash crates/vrg/benches/mcrg.sh [OUT_DIR]   (default /tmp/vrg-mcrg)
# Set MCRG_QUICK=1 to skip the b = 3 and matched runs.
# The checks run $VRG_PYTHON (default python3; the standard library is enough).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/vrg-mcrg}
python=${VRG_PYTHON:-python3}
mkdir -p "$out"
cargo build --release --quiet -p vrg-cli
vrg=./target/release/vrg
time_fmt="wall %e s, user %U s, max RSS %M kB"

echo "== b = 2, L = 64: sampling + MCRG (the bar: under 300 s on 2 cores)"
start=$(date +%s.%N)
/usr/bin/time -f "sampling: $time_fmt" "$vrg" ising sample --size 64 --temperature tc,tc \
    --samples 50000 --sweeps 2 --burn-in 1000 --algorithm wolff --seed 16 --out "$out/l64.npy"
/usr/bin/time -f "mcrg: $time_fmt" "$vrg" rg mcrg --data "$out/l64.npy" --block 2 --levels 4 \
    --jackknife 20 --out "$out/b2"
end=$(date +%s.%N)
echo "b = 2 total (sampling + MCRG): $("$python" -c "print(f'{$end - $start:.1f}')") s"

if [ "${MCRG_QUICK:-0}" != 1 ]; then
    echo "== matched lattices: L = 64 level n against L = 32 level n − 1"
    /usr/bin/time -f "sampling: $time_fmt" "$vrg" ising sample --size 32 --temperature tc,tc \
        --samples 50000 --sweeps 2 --burn-in 1000 --algorithm wolff --seed 17 --out "$out/l32.npy"
    /usr/bin/time -f "mcrg: $time_fmt" "$vrg" rg mcrg --data "$out/l64.npy" --matched "$out/l32.npy" \
        --block 2 --levels 4 --jackknife 20 --out "$out/b2-matched"
    rm -f "$out/l64.npy" "$out/l32.npy"
    echo "== b = 3, L = 81"
    /usr/bin/time -f "sampling: $time_fmt" "$vrg" ising sample --size 81 --temperature tc,tc \
        --samples 50000 --sweeps 2 --burn-in 1000 --algorithm wolff --seed 18 --out "$out/l81.npy"
    /usr/bin/time -f "mcrg: $time_fmt" "$vrg" rg mcrg --data "$out/l81.npy" --block 3 --levels 3 \
        --jackknife 20 --out "$out/b3"
    rm -f "$out/l81.npy"
fi

"$python" - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
ok = True
for name in ["b2", "b2-matched", "b3"]:
    path = os.path.join(out, name, "mcrg.json")
    if not os.path.exists(path):
        continue
    doc = json.load(open(path))
    print(f"{name}: L = {doc['size']}, b = {doc['block']}, {doc['configurations']} configurations")
    for l in doc["levels"]:
        yt, yte, yh, yhe = l["y_t"], l["y_t_err"], l["y_h"], l["y_h_err"]
        line = (f"  level {l['level']} (side {l['side']}, {l['operators']} operators): "
                f"y_T = {yt:.4f} ± {yte:.4f}, y_H = {yh:.4f} ± {yhe:.4f}")
        if name == "b2" and l["level"] in (2, 3):
            pass_t, pass_h = abs(yt - 1.0) < 0.06, abs(yh - 1.875) < 0.02
            line += f"   bar: y_T {'PASS' if pass_t else 'FAIL'}, y_H {'PASS' if pass_h else 'FAIL'}"
            ok = ok and pass_t and pass_h
        print(line)
print("bar (b = 2, levels 2 and 3):", "PASS" if ok else "FAIL")
PY
