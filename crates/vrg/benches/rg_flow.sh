#!/usr/bin/env bash
# The bar of issue #15: the RG-flow experiment (examples/rg-flow.toml, built
# in) timed end to end, training included, then its verdicts: the main run's
# fixed-point temperature T* from T₀ = 0 and T₀ = ∞ (bar: within [2.0, 2.75]),
# its magnetisation beside Veiga & Vicente's 0.6507, the controls (a) only
# T ≥ 4 (bar: not below 3), (b) only T ≤ 1 (bar: below 1.5), (c) only T = 0
# and ∞ and (d) permuted sites, and how the main run's T* moves with the
# training epochs.
#
# Usage: bash crates/vrg/benches/rg_flow.sh [OUT_DIR]   (default /tmp/vrg-rg-flow)
# The checks run $VRG_PYTHON (default python3; the standard library is enough).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/vrg-rg-flow}
python=${VRG_PYTHON:-python3}
cargo build --release --quiet
/usr/bin/time -f "wall %e s, max RSS %M kB" ./target/release/vrg rg flow-experiment --out "$out"
"$python" - "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def fmt(v, e):
    return "—" if v is None else f"{v:.3f} ± {e:.3f}"
print(f"whole experiment: {s['seconds']:.0f} s (bar: under 600 s on 2 cores)")
for r in s["runs"]:
    t = r["training"]
    print(f"{r['run']} L = {r['lattice']} ({r['description']}): {t['rows']} rows, {t['epochs']} epochs "
          f"(pseudo-likelihood converged by epoch {t['converged_epoch']}), {r['seconds']:.0f} s")
    for f in r["flows"]:
        p = f["fixed_point"]
        if p is None:
            print(f"  from {f['start']}: no fixed point ({f['fixed_point_note']})")
            continue
        print(f"  from {f['start']}: fixed point at step {p['step']}: T* = {fmt(p['temperature'], p['temperature_err'])} "
              f"(from |m|: {fmt(p['temperature_from_magnetization'], p['temperature_from_magnetization_err'])}"
              f"{'' if p['thermometers_agree'] is not False else ', thermometers disagree'}), "
              f"m* = {p['abs_magnetization']:.4f} ± {p['abs_magnetization_err']:.4f}")
    if r["verdict"]:
        print(f"  bar: {r['verdict']['bar']}: {'PASS' if r['verdict']['pass'] else 'FAIL'}")
    along = r.get("fixed_points_along_training", [])
    if len(along) > 1:
        print("  T* as training goes on:")
        for a in along:
            temps = ", ".join(
                f"{f['start']} {fmt(f['fixed_point']['temperature'], f['fixed_point']['temperature_err'])}"
                if f["fixed_point"] else f"{f['start']} —" for f in a["fixed_points"])
            print(f"    epoch {a['epoch']:>4}: {temps}")
print("Veiga & Vicente (L = 10): fixed-point magnetisation 0.6507")
for line in s["interpretation"]:
    print(line)
PY
