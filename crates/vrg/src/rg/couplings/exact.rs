//! Exact expansions by the fast Walsh–Hadamard transform: of the whole
//! Hamiltonian on all 2^n configurations, or of each hidden unit's term on
//! its support.

use std::collections::HashMap;

use rayon::prelude::*;

use super::model::{signed_sums, SpinModel};
use super::{Coupling, CouplingDiagnostics, CouplingMethod, EffectiveCouplings};
use crate::linalg::dispatch::multiversion;
use crate::linalg::walsh::{fwht, fwht_across_rows, fwht_serial, WHT_ROW_BITS};
use crate::rbm::{HiddenUnits, Rbm};
use crate::{Error, Result};

/// The most visible units [`couplings_exact`] enumerates: a 2^24-entry f64
/// table is 128 MiB.
pub const MAX_EXACT_VISIBLE: usize = 24;

/// The largest support [`couplings_support`] accepts as `max_support`
/// (2^30 entries per unit, 8 GiB).
pub const MAX_SUPPORT: usize = 30;

multiversion! {
    /// row[k] += scale · softplus(base + input[k]).
    pub fn add_softplus(row: &mut [f64], base: f64, input: &[f64], scale: f64) {
        for (r, &x) in row.iter_mut().zip(input) {
            *r += scale * crate::linalg::softplus_f64(base + x);
        }
    }
}

multiversion! {
    /// row[k] += scale · ln 2cosh(base + input[k]).
    pub fn add_ln_2cosh(row: &mut [f64], base: f64, input: &[f64], scale: f64) {
        for (r, &x) in row.iter_mut().zip(input) {
            *r += scale * crate::linalg::ln_2cosh_f64(base + x);
        }
    }
}

multiversion! {
    /// row[k] += scale · (½(base + input[k])² + ½ ln 2π) (Gaussian hidden units).
    pub fn add_half_square(row: &mut [f64], base: f64, input: &[f64], scale: f64) {
        for (r, &x) in row.iter_mut().zip(input) {
            let y = base + x;
            *r += scale * (0.5 * y * y + crate::rbm::HALF_LN_2PI);
        }
    }
}

/// The vectorised `row[k] += scale · f(base + input[k])` for the hidden
/// units' f.
pub(crate) fn add_log_partition(hidden: HiddenUnits) -> fn(&mut [f64], f64, &[f64], f64) {
    match hidden {
        HiddenUnits::Bernoulli => add_softplus,
        HiddenUnits::Spin => add_ln_2cosh,
        HiddenUnits::Gaussian => add_half_square,
    }
}

/// Checks the options shared by the two exact methods.
fn check_expansion(max_order: usize, tolerance: f64) -> Result<()> {
    if max_order == 0 {
        return Err(Error::invalid(
            "max_order",
            max_order,
            "at least 1 (order 0 is the constant K_∅, which is always returned)",
        ));
    }
    if !(tolerance >= 0.0 && tolerance.is_finite()) {
        return Err(Error::invalid(
            "tolerance",
            tolerance,
            "a finite number ≥ 0 (couplings with |K| below it are dropped)",
        ));
    }
    Ok(())
}

/// Σ_{k=1}^{min(order, n)} C(n, k), saturating.
fn count_sets(n: usize, order: usize) -> usize {
    let mut total: usize = 0;
    let mut binomial: usize = 1;
    for k in 1..=order.min(n) {
        binomial = binomial.saturating_mul(n - k + 1) / k;
        total = total.saturating_add(binomial);
    }
    total
}

/// Bytes a listed coupling of order `order` takes (struct plus set).
fn coupling_bytes(order: usize) -> usize {
    std::mem::size_of::<Coupling>() + order * std::mem::size_of::<usize>()
}

/// The exact expansion (eq. K) of the visible marginal H of `rbm`, every
/// coupling K_S with 1 ≤ |S| ≤ `max_order` and |K_S| ≥ `tolerance`, and
/// the constant K_∅.
///
/// Tabulates −H(s) (eq. S of the module docs) on all 2^n configurations
/// in f64, in parallel over blocks of rows of 2^12 configurations (each
/// hidden unit's input splits into a part from the row's spins and a part
/// from the rest; groups of units cost one or two multiply-adds per unit
/// and entry and one logarithm per entry, see `tabulate_neg_energy`),
/// transforms it in place with [`crate::linalg::walsh::fwht`] and divides
/// by 2^n: K_S = 2^{−n} Σ_s (−H(s)) Π_{i∈S} s_i (eq. WHT). The result
/// reproduces H(s) on every configuration to rounding when `max_order` = n
/// and `tolerance` = 0. Memory: 8·2^n bytes for the table (checked first)
/// plus the list of couplings. 24 visible × 64 hidden units take about a
/// second on two cores (benches/RESULTS.md).
///
/// Errors with [`Error::InvalidParameter`] for Gaussian visible units,
/// n_visible > [`MAX_EXACT_VISIBLE`], `max_order` = 0 or a negative or
/// non-finite tolerance, and [`Error::TooMuchMemory`] when the table or
/// the list does not fit.
///
/// # References
/// R. O'Donnell, *Analysis of Boolean Functions* (2014), §1.2.
pub fn couplings_exact(rbm: &Rbm, max_order: usize, tolerance: f64) -> Result<EffectiveCouplings> {
    check_expansion(max_order, tolerance)?;
    super::SpinConvention::of(rbm.visible_units())?;
    let n = rbm.n_visible();
    if n > MAX_EXACT_VISIBLE {
        return Err(Error::invalid(
            "n_visible",
            n,
            format!(
                "at most {MAX_EXACT_VISIBLE} visible units for the exact expansion, which \
                 tabulates H on all 2^n configurations; use the support, Monte Carlo or \
                 Gaussian method"
            ),
        ));
    }
    let len = crate::memory::check(
        || format!("the table of H(s) on all 2^{n} configurations of {n} visible units"),
        1usize << n,
        std::mem::size_of::<f64>(),
    )?;
    let max_order = max_order.min(n);
    crate::memory::check(
        || format!("the couplings of {n} spins up to order {max_order}"),
        count_sets(n, max_order),
        coupling_bytes(max_order),
    )?;
    let model = SpinModel::from_rbm(rbm)?;
    let table = tabulate_neg_energy(&model, len)?;
    let scale = 1.0 / len as f64;
    let mut couplings = Vec::new();
    let mut dropped = 0;
    for (x, &t) in table.iter().enumerate().skip(1) {
        let order = x.count_ones() as usize;
        if order > max_order {
            continue;
        }
        let value = t * scale;
        if value.abs() < tolerance {
            dropped += 1;
            continue;
        }
        couplings.push(Coupling {
            spins: (0..n).filter(|&i| (x >> i) & 1 == 1).collect(),
            value,
            stderr: None,
        });
    }
    let mut result = EffectiveCouplings {
        n_spins: n,
        convention: model.convention,
        method: CouplingMethod::Exact,
        constant: table[0] * scale,
        constant_stderr: None,
        couplings,
        diagnostics: CouplingDiagnostics {
            max_order,
            tolerance,
            dropped,
            ..CouplingDiagnostics::default()
        },
    };
    result.sort();
    Ok(result)
}

/// Rows of the table one task fills at a time: the per-unit tables are read
/// once per block instead of once per row.
const BLOCK_ROWS: usize = 4;

/// The most negative ln of a product of factors a group may reach
/// (e^{−600} ≈ 10^{−261} is still a normal f64).
const GROUP_RANGE: f64 = 600.0;

/// The most units whose factors (each ≤ 2) one product takes.
const GROUP_UNITS: usize = 64;

multiversion! {
    /// prod[k] *= beta + alpha · up[k].
    pub fn mul_affine(prod: &mut [f64], alpha: f64, beta: f64, up: &[f64]) {
        for (p, &u) in prod.iter_mut().zip(up) {
            *p *= alpha.mul_add(u, beta);
        }
    }
}

multiversion! {
    /// prod[k] *= alpha · up[k] + beta · down[k].
    pub fn mul_pair(prod: &mut [f64], alpha: f64, up: &[f64], beta: f64, down: &[f64]) {
        for ((p, &u), &d) in prod.iter_mut().zip(up).zip(down) {
            *p *= alpha.mul_add(u, beta * d);
        }
    }
}

multiversion! {
    /// row[k] += shift + ln prod[k], for normal positive prod[k].
    pub fn add_ln(row: &mut [f64], shift: f64, prod: &[f64]) {
        for (r, &p) in row.iter_mut().zip(prod) {
            *r += shift + ln_normal(p);
        }
    }
}

/// ln y for a positive normal f64, vectorisable: y = 2^e · m with
/// m ∈ [1, 2) read from the bits, ln y = e ln 2 + ln(1 + (m − 1)).
#[inline(always)]
fn ln_normal(y: f64) -> f64 {
    let bits = y.to_bits();
    let exponent = (bits >> 52) as f64 - 1023.0;
    let mantissa = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    exponent.mul_add(
        std::f64::consts::LN_2,
        crate::linalg::ln_1p_unit_f64(mantissa - 1.0),
    )
}

/// One hidden unit's part of the table of −H: its input from the low
/// (row) spins, L(lo), and the exponentials that turn e^{f(A + L)} into
/// a product of per-row constants and per-column tables.
struct LowTables {
    /// L(lo) (2^lo_bits).
    input: Vec<f64>,
    /// max L.
    high: f64,
    /// min L.
    low: f64,
    /// e^{L − max L}.
    up: Vec<f64>,
    /// e^{min L − L} (spin units only; empty otherwise).
    down: Vec<f64>,
}

/// −H(s) on all `len` = 2^n configurations (bit i of the index set ⇔
/// s_i = −1), Walsh–Hadamard transformed (unnormalised).
///
/// Row `hi` holds the 2^12 configurations of the low spins; unit μ's input
/// there is x = A_μ(hi) + L_μ(lo). Rather than one f per entry and unit,
/// the units are taken in groups whose factors
/// e^{−c}·Σ_h e^{h x} (c a per-row constant that keeps every factor in
/// [e^{−range}, 2], range = max L − min L) multiply together without
/// leaving the normal f64 range; each factor is one or two multiply-adds
/// from the tables e^{±L}, and each group costs one logarithm per entry:
/// Σ_μ f(x_μ) = Σ_μ c_μ + ln Π_μ [e^{−c_μ} Σ_h e^{h x_μ}]. A unit whose
/// range alone is too wide for that is evaluated directly, and so is every
/// Gaussian hidden unit (f(x) = ½x² + ½ ln 2π costs no logarithm).
fn tabulate_neg_energy(model: &SpinModel, len: usize) -> Result<Vec<f64>> {
    let n = model.n;
    let lo_bits = n.min(WHT_ROW_BITS);
    let row_len = 1usize << lo_bits;
    let n_rows = len / row_len;
    let spin = model.hidden == HiddenUnits::Spin;
    let tables: Vec<LowTables> = (0..model.m)
        .map(|mu| {
            let input = signed_sums(&model.unit(mu)[..lo_bits], 0.0);
            let high = input.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let low = input.iter().fold(f64::INFINITY, |a, &b| a.min(b));
            let up = input.iter().map(|&l| (l - high).exp()).collect();
            let down = if spin {
                input.iter().map(|&l| (low - l).exp()).collect()
            } else {
                Vec::new()
            };
            LowTables {
                input,
                high,
                low,
                up,
                down,
            }
        })
        .collect();
    // Units in groups of bounded total range; units too wide alone go
    // through the direct path.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut direct = Vec::new();
    let mut current = Vec::new();
    let mut total = 0.0;
    for (mu, t) in tables.iter().enumerate() {
        let range = t.high - t.low;
        if range > GROUP_RANGE || !model.hidden.is_discrete() {
            direct.push(mu);
            continue;
        }
        if total + range > GROUP_RANGE || current.len() == GROUP_UNITS {
            groups.push(std::mem::take(&mut current));
            total = 0.0;
        }
        current.push(mu);
        total += range;
    }
    if !current.is_empty() {
        groups.push(current);
    }
    let hi_input: Vec<Vec<f64>> = (0..model.m)
        .map(|mu| signed_sums(&model.unit(mu)[lo_bits..], model.bias[mu]))
        .collect();
    let lo_field = signed_sums(&model.field[..lo_bits], model.constant);
    let hi_field = signed_sums(&model.field[lo_bits..], 0.0);
    let mut table = vec![0.0f64; len];
    let add = add_log_partition(model.hidden);
    let block_rows = BLOCK_ROWS.min(n_rows);
    table
        .par_chunks_mut(block_rows * row_len)
        .enumerate()
        .for_each(|(block, rows)| {
            let first = block * block_rows;
            let mut prods = vec![1.0f64; rows.len()];
            let mut shifts = [0.0f64; BLOCK_ROWS];
            for (r, row) in rows.chunks_exact_mut(row_len).enumerate() {
                for (x, &l) in row.iter_mut().zip(&lo_field) {
                    *x = l + hi_field[first + r];
                }
            }
            for group in &groups {
                prods.fill(1.0);
                shifts.fill(0.0);
                for &mu in group {
                    let t = &tables[mu];
                    for (r, prod) in prods.chunks_exact_mut(row_len).enumerate() {
                        let a = hi_input[mu][first + r];
                        if spin {
                            // e^{x−c} + e^{−x−c}, c = max |x| over the row.
                            let c = (a + t.high).max(-a - t.low);
                            shifts[r] += c;
                            let alpha = (a + t.high - c).exp();
                            let beta = (-a - t.low - c).exp();
                            mul_pair(prod, alpha, &t.up, beta, &t.down);
                        } else {
                            // e^{−c} + e^{x−c}, c = max(0, max x over the row).
                            let top = a + t.high;
                            let c = top.max(0.0);
                            shifts[r] += c;
                            mul_affine(prod, (top - c).exp(), (-c).exp(), &t.up);
                        }
                    }
                }
                for (r, (row, prod)) in rows
                    .chunks_exact_mut(row_len)
                    .zip(prods.chunks_exact(row_len))
                    .enumerate()
                {
                    add_ln(row, shifts[r], prod);
                }
            }
            for (r, row) in rows.chunks_exact_mut(row_len).enumerate() {
                for &mu in &direct {
                    add(row, hi_input[mu][first + r], &tables[mu].input, 1.0);
                }
                fwht_serial(row);
            }
        });
    fwht_across_rows(&mut table, row_len, n_rows);
    Ok(table)
}

/// The expansion (eq. K) of the visible marginal of `rbm` computed unit by
/// unit on each hidden unit's support T_μ = {i : |w_iμ| > `weight_tolerance`}
/// (spin-convention weights: W/2 for Bernoulli visible units): couplings
/// with 1 ≤ |S| ≤ `max_order` and |K_S| ≥ `tolerance`, and K_∅.
///
/// Each unit's term g_μ(s) = f(b′_μ + Σ_i w_iμ s_i) (eq. S) depends only on
/// its support once the other sites are dropped,
/// g̃_μ(s) = f(b′_μ + Σ_{i∈T_μ} w_iμ s_i) (dropped spins sit at their
/// uniform mean 0, i.e. v_i = ½ for Bernoulli units), and is expanded by a
/// Walsh–Hadamard transform of 2^|T_μ| entries; the contributions and the
/// exact linear part are summed. With `weight_tolerance` = 0 every nonzero
/// weight is kept and the result equals [`couplings_exact`] to rounding,
/// for any n, as long as each unit has at most `max_support` nonzero
/// weights. Sets outside every support are not listed (their K_S is 0 apart
/// from the fields, which are always listed).
///
/// # Error bound
/// Let m_μ = Σ_{i∉T_μ} |w_iμ| (the discarded mass of unit μ, reported per
/// unit in [`CouplingDiagnostics::discarded_mass`]) and M = Σ_μ m_μ
/// ([`CouplingDiagnostics::discarded_mass_total`]). Since |f′| ≤ 1 for both
/// hidden types (f′ = σ ∈ (0, 1) or tanh), |g_μ(s) − g̃_μ(s)| ≤ m_μ for
/// every s, so the Hamiltonian H̃ of the (untruncated) expansion satisfies
///
/// |H̃(s) − H(s)| ≤ M for every s, and, by Parseval,
/// (Σ_S (K̃_S − K_S)²)^{1/2} = (2^{−n} Σ_s (H̃ − H)²)^{1/2} ≤ M,
///
/// so every coupling, K_∅ included, is off by at most M.
///
/// # Gaussian hidden units
/// Their f is quadratic, so the expansion is pairwise and known in closed
/// form (module docs, "Gaussian hidden units"); it is returned exactly for
/// any n, no site is dropped (`weight_tolerance` and `max_support` are
/// checked but not needed: the discarded masses are 0 and
/// `largest_support` is the largest number of nonzero weights of a unit).
///
/// Errors with [`Error::InvalidParameter`] for Gaussian visible units,
/// `max_order` = 0, a bad tolerance, `max_support` > [`MAX_SUPPORT`], or a
/// unit whose support is larger than `max_support` (naming the unit and its
/// support size), and [`Error::TooMuchMemory`] when the expansion does not
/// fit.
pub fn couplings_support(
    rbm: &Rbm,
    max_order: usize,
    tolerance: f64,
    weight_tolerance: f64,
    max_support: usize,
) -> Result<EffectiveCouplings> {
    check_expansion(max_order, tolerance)?;
    if !(weight_tolerance >= 0.0 && weight_tolerance.is_finite()) {
        return Err(Error::invalid(
            "weight_tolerance",
            weight_tolerance,
            "a finite number ≥ 0 (sites with |w| at or below it are dropped from a unit)",
        ));
    }
    if max_support > MAX_SUPPORT {
        return Err(Error::invalid(
            "max_support",
            max_support,
            format!("at most {MAX_SUPPORT} (a unit's table has 2^support entries)"),
        ));
    }
    let model = SpinModel::from_rbm(rbm)?;
    let n = model.n;
    let parts = if model.hidden.is_discrete() {
        discrete_support_expansion(&model, max_order, tolerance, weight_tolerance, max_support)?
    } else {
        // Gaussian hidden units: every unit's term is quadratic, expanded in
        // closed form over all its sites (nothing discarded).
        let (constant, couplings, dropped) =
            model.gaussian_hidden_expansion(max_order, tolerance)?;
        SupportExpansion {
            constant,
            couplings,
            dropped,
            discarded_mass: vec![0.0; model.m],
            largest_support: (0..model.m)
                .map(|mu| model.unit(mu).iter().filter(|&&w| w != 0.0).count())
                .max()
                .unwrap_or(0),
        }
    };
    let SupportExpansion {
        constant,
        couplings,
        dropped,
        discarded_mass,
        largest_support,
    } = parts;
    let discarded_mass_total = discarded_mass.iter().sum();
    let mut result = EffectiveCouplings {
        n_spins: n,
        convention: model.convention,
        method: CouplingMethod::Support {
            weight_tolerance,
            max_support,
        },
        constant,
        constant_stderr: None,
        couplings,
        diagnostics: CouplingDiagnostics {
            max_order,
            tolerance,
            dropped,
            discarded_mass,
            discarded_mass_total,
            largest_support,
        },
    };
    result.sort();
    Ok(result)
}

/// What [`couplings_support`] computes before it packs the result.
struct SupportExpansion {
    constant: f64,
    couplings: Vec<Coupling>,
    dropped: usize,
    discarded_mass: Vec<f64>,
    largest_support: usize,
}

/// [`couplings_support`] for discrete hidden units: each unit's term
/// expanded over the sites with |w| > `weight_tolerance`.
fn discrete_support_expansion(
    model: &SpinModel,
    max_order: usize,
    tolerance: f64,
    weight_tolerance: f64,
    max_support: usize,
) -> Result<SupportExpansion> {
    let n = model.n;
    let mut supports = Vec::with_capacity(model.m);
    let mut discarded_mass = Vec::with_capacity(model.m);
    for mu in 0..model.m {
        let w = model.unit(mu);
        let support: Vec<usize> = (0..n).filter(|&i| w[i].abs() > weight_tolerance).collect();
        if support.len() > max_support {
            return Err(Error::invalid(
                "weight_tolerance",
                weight_tolerance,
                format!(
                    "a tolerance that leaves at most max_support = {max_support} sites per \
                     hidden unit: hidden unit {mu} has {} sites with |w| > {weight_tolerance} \
                     (spin-convention weights); use a larger weight tolerance, a larger \
                     max_support, or the Monte Carlo or Gaussian method",
                    support.len()
                ),
            ));
        }
        discarded_mass.push(
            (0..n)
                .filter(|&i| w[i].abs() <= weight_tolerance)
                .map(|i| w[i].abs())
                .sum::<f64>(),
        );
        supports.push(support);
    }
    let largest_support = supports.iter().map(Vec::len).max().unwrap_or(0);
    let candidates = supports.iter().fold(0usize, |acc, t| {
        acc.saturating_add(count_sets(t.len(), max_order))
    });
    crate::memory::check(
        || {
            format!(
                "the per-unit couplings of {} hidden units up to order {max_order}",
                model.m
            )
        },
        candidates.saturating_add(n),
        coupling_bytes(max_order.min(largest_support.max(1))),
    )?;
    crate::memory::check(
        || {
            format!(
                "{} tables of 2^{largest_support} entries",
                rayon::current_num_threads()
            )
        },
        (1usize << largest_support).saturating_mul(rayon::current_num_threads()),
        std::mem::size_of::<f64>(),
    )?;
    let per_unit: Vec<(f64, Vec<(u64, f64)>)> = (0..model.m)
        .into_par_iter()
        .map(|mu| unit_expansion(model, mu, &supports[mu], max_order))
        .collect();
    let mut constant = model.constant;
    let mut sums: HashMap<Vec<usize>, f64> = HashMap::new();
    for (i, &h) in model.field.iter().enumerate() {
        sums.insert(vec![i], h);
    }
    for ((unit_constant, terms), support) in per_unit.iter().zip(&supports) {
        constant += unit_constant;
        for &(mask, value) in terms {
            let set: Vec<usize> = support
                .iter()
                .enumerate()
                .filter(|&(k, _)| (mask >> k) & 1 == 1)
                .map(|(_, &i)| i)
                .collect();
            *sums.entry(set).or_insert(0.0) += value;
        }
    }
    let mut couplings = Vec::with_capacity(sums.len());
    let mut dropped = 0;
    for (spins, value) in sums {
        if value.abs() < tolerance {
            dropped += 1;
        } else {
            couplings.push(Coupling {
                spins,
                value,
                stderr: None,
            });
        }
    }
    Ok(SupportExpansion {
        constant,
        couplings,
        dropped,
        discarded_mass,
        largest_support,
    })
}

/// Unit μ's term on its support: its constant ĝ(∅) and the coefficients
/// ĝ(S) of the nonempty subsets S of the support (as bit masks over the
/// support's positions) with |S| ≤ `max_order`.
fn unit_expansion(
    model: &SpinModel,
    mu: usize,
    support: &[usize],
    max_order: usize,
) -> (f64, Vec<(u64, f64)>) {
    let w = model.unit(mu);
    let kept: Vec<f64> = support.iter().map(|&i| w[i]).collect();
    let mut table = signed_sums(&kept, model.bias[mu]);
    table.iter_mut().for_each(|x| *x = model.log_partition(*x));
    if table.len() <= 1 << WHT_ROW_BITS {
        fwht_serial(&mut table);
    } else {
        fwht(&mut table).expect("a table of 2^k entries");
    }
    let scale = 1.0 / table.len() as f64;
    let terms = table
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(x, _)| x.count_ones() as usize <= max_order)
        .map(|(x, &t)| (x as u64, t * scale))
        .collect();
    (table[0] * scale, terms)
}
