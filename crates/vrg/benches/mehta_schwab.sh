#!/usr/bin/env bash
# The bar of issue #5: Mehta & Schwab's experiment at paper scale
# (examples/mehta-schwab.toml: 20 000 configurations of the 40×40 Ising
# model at J/T = 0.408, DBN 1600-400-100-25 with L1), then the checks:
# first-layer median mass fraction in the best window ≥ 0.8, median
# receptive-field radius growing with depth, per-layer free energies; then
# the renormalized couplings of each level (issue #14: `vrg rg renormalized`,
# learned layers beside 2×2, 4×4 and 8×8 majority-rule blocks, which way
# each flows relative to K_c); the MCRG exponents y_T, y_H of each placed
# hidden level (learned coarse-graining) beside majority rule's (issue #16).
#
# Usage: bash crates/vrg/benches/mehta_schwab.sh [OUT_DIR]   (default /tmp/vrg-mehta-schwab)
#
# Needs no data files (the Ising samples are generated). The checks run
# $VRG_PYTHON (default python3; the standard library is enough).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/vrg-mehta-schwab}
python=${VRG_PYTHON:-python3}
cargo build --release --quiet
/usr/bin/time -f "wall %e s, max RSS %M kB" ./target/release/vrg demo --full --out "$out"
"$python" - "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rf = s["receptive_fields"]
frac, radii = rf["first_layer_median_mass_fraction"], rf["median_radius_by_level"]
print(f"first-layer median mass fraction in the best {s['window']}x{s['window']} window: {frac:.3f}  (bar >= 0.8: {'PASS' if frac >= 0.8 else 'FAIL'})")
print(f"median receptive-field radius by level: {', '.join(f'{r:.2f}' for r in radii)}  (grows: {'PASS' if rf['radius_grows_with_depth'] else 'FAIL'})")
print("per-layer free energies (training data / validation, from training):")
for f in s["free_energies"]:
    d = f["delta_free_energy_per_unit"]
    print(f"  layer {f['layer']+1} {f['n_visible']}x{f['n_hidden']}: ln Z = {f['log_z']:.3f} ± {f['log_z_stderr']:.3f} ({f['log_z_method']}), "
          f"f = -ln Z/n = {f['free_energy_per_unit']:.4f}, delta f = {'-' if d is None else f'{d:+.4f}'}, "
          f"ln p(v) train {f['log_likelihood']:.2f} validation {f['log_likelihood_validation']:.2f}")
for l in s["levels"]:
    b = l["block_spins"]
    extra = f", median |corr| with {b['block']}x{b['block']} block spins {b['median_abs_correlation']:.3f}" if b else ""
    o = l["observables"]
    print(f"  level {l['level']} ({l['n_units']} units): |m| = {o['magnetisation']:.3f}, NN <s s'> = {o['nearest_neighbour_correlation']:.3f}{extra}")
t = s["training"]
print(f"layer-1 held-out ln p(v) per spin {t['layer0_log_likelihood_per_spin_validation']:.4f} vs exact bound -s = {t['best_possible_log_likelihood_per_spin']:.4f}")
print("MCRG exponents (y_T = 1, y_H = 15/8 exactly): learned coarse-graining vs majority rule, same data and b")
for l in s["levels"][1:]:
    m = l["mcrg"]
    e = lambda x: "-" if x is None else f"y_T = {x['y_t']:.3f} ± {x['y_t_err']:.3f}, y_H = {x['y_h']:.3f} ± {x['y_h_err']:.3f}"
    step = f"from level {m['from_level']}, b = {m['block']}" if m["block"] else "not in the chain"
    print(f"  level {l['level']} ({step}): learned {e(m['learned'])} | majority {e(m['majority'])}" + (f"  [{m['reason']}]" if m["reason"] else ""))
    if m.get("mean_abs_correlation") is not None:
        print(f"    units assigned one-to-one to blocks (Hungarian): |corr| mean {m['mean_abs_correlation']:.3f}, "
              f"min {m['min_abs_correlation']:.3f}, {100 * m['best_block_fraction']:.0f}% on their best-matching block")
print("figures:", ", ".join(f"{sys.argv[1].rsplit('/',1)[0]}/{v}" for v in s["figures"].values()))
PY
/usr/bin/time -f "renormalized couplings: wall %e s" ./target/release/vrg rg renormalized \
  --model "$out/dbn.safetensors" --data "$out/ising.npy" --zero-field --data-coupling 0.408 \
  --out "$out/renormalized"
