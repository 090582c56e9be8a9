//! Besag's pseudo-likelihood fit of the four-term lattice Hamiltonian, with
//! bootstrap error bars (see the [module documentation](super)).

use crate::rng::{self, Rng};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// One term of the fitted Hamiltonian (see the [module documentation](super)
/// for how each is counted on the torus).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// −h Σ_i s_i.
    Field,
    /// −K_nn Σ_⟨ij⟩ s_i s_j over the 2N nearest-neighbour bonds.
    NearestNeighbour,
    /// −K_nnn Σ_⟨⟨ij⟩⟩ s_i s_j over the 2N diagonal bonds.
    NextNearestNeighbour,
    /// −K_□ Σ_□ s_i s_j s_k s_l over the N 2 × 2 plaquettes.
    Plaquette,
}

impl Term {
    /// The four terms in the order of [`Couplings::to_array`].
    pub const ALL: [Term; 4] = [
        Term::Field,
        Term::NearestNeighbour,
        Term::NextNearestNeighbour,
        Term::Plaquette,
    ];

    /// The coupling's symbol: `h`, `K_nn`, `K_nnn`, `K_plaquette`.
    pub fn symbol(self) -> &'static str {
        match self {
            Term::Field => "h",
            Term::NearestNeighbour => "K_nn",
            Term::NextNearestNeighbour => "K_nnn",
            Term::Plaquette => "K_plaquette",
        }
    }
}

/// The couplings (h, K_nn, K_nnn, K_□) of
/// H(s) = −h Σ_i s_i − K_nn Σ_⟨ij⟩ s_i s_j − K_nnn Σ_⟨⟨ij⟩⟩ s_i s_j
/// − K_□ Σ_□ s_i s_j s_k s_l, in units where the Boltzmann weight is e^{−H}
/// (so K = J/T, k_B = 1). Also used for their error bars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Couplings {
    /// h.
    pub field: f64,
    /// K_nn.
    pub nearest_neighbour: f64,
    /// K_nnn (diagonal neighbours).
    pub next_nearest_neighbour: f64,
    /// K_□ (four spins of a 2 × 2 plaquette).
    pub plaquette: f64,
}

impl Couplings {
    /// [h, K_nn, K_nnn, K_□], the order of [`Term::ALL`].
    pub fn to_array(&self) -> [f64; 4] {
        [
            self.field,
            self.nearest_neighbour,
            self.next_nearest_neighbour,
            self.plaquette,
        ]
    }

    /// The inverse of [`Couplings::to_array`].
    pub fn from_array(values: [f64; 4]) -> Self {
        Couplings {
            field: values[0],
            nearest_neighbour: values[1],
            next_nearest_neighbour: values[2],
            plaquette: values[3],
        }
    }

    /// The coupling of `term`.
    pub fn get(&self, term: Term) -> f64 {
        self.to_array()[term as usize]
    }
}

/// How the pseudo-likelihood is maximised. [`FitOptions::default`]: all four
/// terms, at most 100 Newton steps, tolerance 10⁻¹⁸ (couplings converged to
/// about 10⁻⁹, far below any statistical error, for one more Newton step).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FitOptions {
    /// Fix h = 0 (by the spin-flip symmetry s → −s of zero-field data, or of
    /// majority-rule block spins of such data) and fit the three other
    /// couplings.
    pub zero_field: bool,
    /// Most Newton steps before the fit gives up (≥ 1).
    pub max_iterations: usize,
    /// The fit has converged when half the Newton decrement, gᵀ(−∇²)⁻¹g/2
    /// of the pseudo-log-likelihood per predicted site, is at most this
    /// (> 0; it estimates the distance to the maximum in units of the
    /// per-site log-likelihood).
    pub tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            zero_field: false,
            max_iterations: 100,
            tolerance: 1e-18,
        }
    }
}

impl FitOptions {
    /// Errors if `max_iterations` is 0 or `tolerance` is not finite and
    /// positive.
    pub fn check(&self) -> Result<()> {
        if self.max_iterations == 0 {
            return Err(Error::invalid(
                "max_iterations",
                0,
                "at least one Newton step",
            ));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(Error::invalid(
                "tolerance",
                self.tolerance,
                "a finite tolerance > 0",
            ));
        }
        Ok(())
    }

    fn active_terms(&self) -> &'static [usize] {
        if self.zero_field {
            &[1, 2, 3]
        } else {
            &[0, 1, 2, 3]
        }
    }
}

/// Bootstrap error bars over configurations (rows): `replicates` resamples
/// of the rows with replacement, in blocks of `block_length` consecutive
/// rows (the circular block bootstrap of Politis & Romano 1992; a block
/// length of 1 is Efron's ordinary bootstrap). Replicate r draws from
/// stream r of `vrg::rng::root(seed)` ([`crate::rng::streams`]), so the
/// error bars do not depend on the thread count.
///
/// Consecutive Monte Carlo samples may be correlated; the ordinary
/// bootstrap then underestimates the error by up to √(2τ_int), τ_int the
/// integrated autocorrelation time in samples. Store samples several
/// autocorrelation times apart, or choose a block length of a few τ_int
/// (blocks that are themselves nearly independent).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bootstrap {
    /// Resamples (≥ 2).
    pub replicates: usize,
    /// Consecutive rows per resampled block (≥ 1, at most the number of
    /// rows).
    pub block_length: usize,
    pub seed: u64,
}

impl Bootstrap {
    /// Errors if `replicates` < 2 or `block_length` is 0.
    pub fn check(&self) -> Result<()> {
        if self.replicates < 2 {
            return Err(Error::invalid(
                "bootstrap replicates",
                self.replicates,
                "at least 2 resamples",
            ));
        }
        if self.block_length == 0 {
            return Err(Error::invalid(
                "bootstrap block length",
                0,
                "at least 1 row per block",
            ));
        }
        Ok(())
    }
}

/// A fitted Hamiltonian (see [`fit_couplings`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CouplingFit {
    /// Side L of the lattice fitted.
    pub side: usize,
    /// Configurations fitted.
    pub rows: usize,
    /// Sites predicted per configuration (L² less the missing ones).
    pub sites: usize,
    /// The maximiser of the pseudo-likelihood over all rows (h = 0 when
    /// [`FitOptions::zero_field`]).
    pub couplings: Couplings,
    /// Bootstrap standard deviation of each coupling (0 for a fixed one),
    /// if a [`Bootstrap`] was asked for.
    pub errors: Option<Couplings>,
    /// Bootstrap replicates whose fit failed (see [`fit_couplings`]); they
    /// are left out of the standard deviations.
    pub failed_replicates: usize,
    /// The maximum pseudo-log-likelihood per predicted site,
    /// (1/(rows·sites)) Σ_rows Σ_i ln p(s_i | rest).
    pub pseudo_log_likelihood: f64,
    /// Newton steps taken.
    pub iterations: usize,
    /// Largest |∂/∂K| of the per-site pseudo-log-likelihood at the
    /// solution, over the fitted couplings.
    pub gradient_max: f64,
}

impl CouplingFit {
    /// The z-score (fitted − `exact`)/error of `term`'s coupling; NaN
    /// without error bars.
    pub fn z_score(&self, term: Term, exact: f64) -> f64 {
        match &self.errors {
            Some(errors) => crate::stats::Estimate {
                mean: self.couplings.get(term),
                error: errors.get(term),
            }
            .z_score(exact),
            None => f64::NAN,
        }
    }
}

/// Categories of (s_i, local features): s_i ∈ {−1, +1} and each of the
/// three feature sums in −4..=4 (sums of at most four ±1 products).
const FEATURE_VALUES: usize = 9;
const CATEGORIES: usize = 2 * FEATURE_VALUES * FEATURE_VALUES * FEATURE_VALUES;

/// The spins entering the local field of one predicted site: its present
/// nearest neighbours, diagonal neighbours and the other three sites of
/// each of its plaquettes whose sites are all present.
#[derive(Clone, Debug)]
struct Neighbourhood {
    site: usize,
    nearest: Vec<usize>,
    diagonal: Vec<usize>,
    plaquettes: Vec<[usize; 3]>,
}

/// Per-site neighbourhoods of the present sites of the `side × side` torus
/// (side ≥ 3, so the four neighbours at each offset are distinct).
fn neighbourhoods(side: usize, present: &dyn Fn(usize) -> bool) -> Vec<Neighbourhood> {
    let at = |r: usize, c: usize, dr: isize, dc: isize| {
        let r = (r as isize + dr).rem_euclid(side as isize) as usize;
        let c = (c as isize + dc).rem_euclid(side as isize) as usize;
        r * side + c
    };
    let mut out = Vec::new();
    for site in (0..side * side).filter(|&i| present(i)) {
        let (r, c) = (site / side, site % side);
        let keep = |offsets: [(isize, isize); 4]| -> Vec<usize> {
            offsets
                .iter()
                .map(|&(dr, dc)| at(r, c, dr, dc))
                .filter(|&j| present(j))
                .collect()
        };
        let nearest = keep([(0, 1), (0, -1), (1, 0), (-1, 0)]);
        let diagonal = keep([(1, 1), (1, -1), (-1, 1), (-1, -1)]);
        // The plaquette whose top-left corner is (r − a, c − b), a, b ∈ {0, 1}.
        let plaquettes = [(0, 0), (0, 1), (1, 0), (1, 1)]
            .iter()
            .filter_map(|&(a, b): &(isize, isize)| {
                let corners = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .map(|(dr, dc): (isize, isize)| at(r, c, dr - a, dc - b));
                let others: Vec<usize> = corners.into_iter().filter(|&j| j != site).collect();
                others
                    .iter()
                    .all(|&j| present(j))
                    .then(|| [others[0], others[1], others[2]])
            })
            .collect();
        out.push(Neighbourhood {
            site,
            nearest,
            diagonal,
            plaquettes,
        });
    }
    out
}

/// The category of a site with spin `s` and feature sums (nn, nnn, □).
fn category(spin: i8, nearest: i32, diagonal: i32, plaquette: i32) -> usize {
    let v = |x: i32| (x + 4) as usize;
    usize::from(spin > 0) * FEATURE_VALUES.pow(3)
        + (v(nearest) * FEATURE_VALUES + v(diagonal)) * FEATURE_VALUES
        + v(plaquette)
}

/// (s, [1, nn, nnn, □]) of a category.
fn decode(category: usize) -> (f64, [f64; 4]) {
    let f = |k: usize| (k % FEATURE_VALUES) as f64 - 4.0;
    let spin = if category >= FEATURE_VALUES.pow(3) {
        1.0
    } else {
        -1.0
    };
    (
        spin,
        [
            1.0,
            f(category / (FEATURE_VALUES * FEATURE_VALUES)),
            f(category / FEATURE_VALUES),
            f(category),
        ],
    )
}

/// The sufficient statistics of the pseudo-likelihood: for each
/// configuration, how many predicted sites fall in each category
/// (spin, nn sum, nnn sum, plaquette sum), stored sparsely.
#[derive(Clone, Debug)]
struct SiteStatistics {
    side: usize,
    rows: usize,
    sites: usize,
    /// Row r's (category, count) pairs are `entries[offsets[r]..offsets[r + 1]]`.
    offsets: Vec<usize>,
    entries: Vec<(u16, u32)>,
}

impl SiteStatistics {
    /// Validates and tabulates `spins` (`rows × side²`, ±1 at present sites).
    fn new(spins: &[f32], rows: usize, side: usize, mask: Option<&[bool]>) -> Result<Self> {
        if side < 3 {
            return Err(Error::invalid(
                "lattice side",
                side,
                "L ≥ 3: on a smaller torus a site's neighbours in opposite directions \
                 coincide, so its nearest-neighbour, diagonal and plaquette terms are \
                 ill-defined",
            ));
        }
        if rows == 0 {
            return Err(Error::invalid(
                "rows",
                0,
                "at least one configuration to fit",
            ));
        }
        let n_sites = crate::rg::block_spin::check_configuration_shape(spins.len(), rows, side)?;
        if let Some(mask) = mask {
            if mask.len() != n_sites {
                return Err(Error::ShapeMismatch {
                    what: "site mask".into(),
                    expected: format!("{side}² = {n_sites} sites"),
                    found: format!("{} values", mask.len()),
                });
            }
            if !mask.iter().any(|&m| m) {
                return Err(Error::invalid(
                    "site mask",
                    "no present site",
                    "at least one site present (true) to predict",
                ));
            }
        }
        let present = |i: usize| mask.is_none_or(|m| m[i]);
        crate::rg::block_spin::check_spins(spins, side, present)?;
        let hoods = neighbourhoods(side, &present);
        let per_row: Vec<Vec<(u16, u32)>> = spins
            .par_chunks_exact(n_sites)
            .map(|config| {
                let s = |j: usize| if config[j] > 0.0 { 1i32 } else { -1 };
                let mut counts = vec![0u32; CATEGORIES];
                for hood in &hoods {
                    let nearest: i32 = hood.nearest.iter().map(|&j| s(j)).sum();
                    let diagonal: i32 = hood.diagonal.iter().map(|&j| s(j)).sum();
                    let plaquette: i32 = hood
                        .plaquettes
                        .iter()
                        .map(|p| s(p[0]) * s(p[1]) * s(p[2]))
                        .sum();
                    counts[category(s(hood.site) as i8, nearest, diagonal, plaquette)] += 1;
                }
                counts
                    .iter()
                    .enumerate()
                    .filter(|&(_, &n)| n > 0)
                    .map(|(c, &n)| (c as u16, n))
                    .collect()
            })
            .collect();
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        let mut entries = Vec::new();
        for row in per_row {
            entries.extend(row);
            offsets.push(entries.len());
        }
        Ok(SiteStatistics {
            side,
            rows,
            sites: hoods.len(),
            offsets,
            entries,
        })
    }

    /// Σ_r weight_r · (row r's category counts); all rows with weight 1 if
    /// `weights` is `None`.
    fn histogram(&self, weights: Option<&[u32]>) -> Vec<f64> {
        let mut out = vec![0.0f64; CATEGORIES];
        for r in 0..self.rows {
            let w = weights.map_or(1.0, |w| f64::from(w[r]));
            if w == 0.0 {
                continue;
            }
            for &(c, n) in &self.entries[self.offsets[r]..self.offsets[r + 1]] {
                out[usize::from(c)] += w * f64::from(n);
            }
        }
        out
    }
}

/// ln(2 cosh x), without overflow.
fn ln_two_cosh(x: f64) -> f64 {
    x.abs() + (-2.0 * x.abs()).exp().ln_1p()
}

/// The maximum of the pseudo-likelihood of a category histogram.
#[derive(Clone, Copy, Debug)]
struct Solution {
    couplings: [f64; 4],
    pseudo_log_likelihood: f64,
    iterations: usize,
    gradient_max: f64,
}

/// The per-site pseudo-log-likelihood f(K) = (1/n) Σ_c n_c [s_c θ_c −
/// ln 2 cosh θ_c], θ_c = K · x_c, with its gradient and Hessian.
fn objective(
    categories: &[(f64, [f64; 4], f64)],
    total: f64,
    k: &[f64; 4],
) -> (f64, [f64; 4], [[f64; 4]; 4]) {
    let mut value = 0.0;
    let mut gradient = [0.0; 4];
    let mut hessian = [[0.0; 4]; 4];
    for &(s, x, n) in categories {
        let theta: f64 = (0..4).map(|a| k[a] * x[a]).sum();
        let t = theta.tanh();
        value += n * (s * theta - ln_two_cosh(theta));
        let curvature = n * (1.0 - t * t);
        for ((g, row), xa) in gradient.iter_mut().zip(&mut hessian).zip(x) {
            *g += n * (s - t) * xa;
            for (h, xb) in row.iter_mut().zip(x) {
                *h -= curvature * xa * xb;
            }
        }
    }
    gradient.iter_mut().for_each(|g| *g /= total);
    hessian.iter_mut().flatten().for_each(|h| *h /= total);
    (value / total, gradient, hessian)
}

/// Newton's method with backtracking on the concave pseudo-log-likelihood
/// of `histogram` (per-category site counts), over the couplings
/// `active` (the others fixed at 0).
fn maximise(histogram: &[f64], active: &[usize], options: &FitOptions) -> Result<Solution> {
    let categories: Vec<(f64, [f64; 4], f64)> = histogram
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0.0)
        .map(|(c, &n)| {
            let (s, x) = decode(c);
            (s, x, n)
        })
        .collect();
    let total: f64 = categories.iter().map(|c| c.2).sum();
    let mut k = [0.0f64; 4];
    let (mut value, mut gradient, mut hessian) = objective(&categories, total, &k);
    // At K = 0 the curvature −∇² is the features' second-moment matrix;
    // a pivot that falls below 10⁻¹² of its largest diagonal element means
    // dependent features, or couplings so large that every site's
    // conditional probability has saturated (separable data).
    let min_pivot = 1e-12
        * active
            .iter()
            .map(|&a| -hessian[a][a])
            .fold(0.0f64, f64::max);
    let mut steps = 0;
    for iteration in 0..=options.max_iterations {
        steps = iteration;
        let g: Vec<f64> = active.iter().map(|&a| gradient[a]).collect();
        let minus_h: Vec<Vec<f64>> = active
            .iter()
            .map(|&a| active.iter().map(|&b| -hessian[a][b]).collect())
            .collect();
        let step = solve_positive_definite(&minus_h, &g, min_pivot).ok_or_else(|| {
            let names: Vec<&str> = active.iter().map(|&a| Term::ALL[a].symbol()).collect();
            Error::invalid(
                "configurations",
                format!(
                    "data whose local features for {} are linearly dependent (for example \
                     all spins equal, or a term absent from every site), or whose \
                     couplings diverge (couplings {k:.3?} after {iteration} Newton steps)",
                    names.join(", ")
                ),
                "configurations in which every fitted term's local field varies \
                 independently (the pseudo-likelihood Hessian is singular)",
            )
        })?;
        let decrement: f64 = g.iter().zip(&step).map(|(a, b)| a * b).sum();
        let gradient_max = g.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        if decrement / 2.0 <= options.tolerance {
            return Ok(Solution {
                couplings: k,
                pseudo_log_likelihood: value,
                iterations: iteration,
                gradient_max,
            });
        }
        if iteration == options.max_iterations {
            break;
        }
        // Backtracking (Armijo) line search along the Newton direction.
        // Once the decrement is below 10⁻⁸ the quadratic model is accurate
        // (its error is of order decrement^{3/2}) and the full step is
        // taken: a comparison of values would only see their rounding
        // (≈ 10⁻¹⁶ |f|) and could stall convergence.
        let pure_newton = decrement < 1e-8;
        let mut t = 1.0;
        loop {
            let mut trial = k;
            for (&a, d) in active.iter().zip(&step) {
                trial[a] += t * d;
            }
            let (trial_value, trial_gradient, trial_hessian) =
                objective(&categories, total, &trial);
            if pure_newton || trial_value >= value + 1e-4 * t * decrement {
                k = trial;
                value = trial_value;
                gradient = trial_gradient;
                hessian = trial_hessian;
                break;
            }
            t *= 0.5;
            if t < 1e-20 {
                // No ascent left at working precision: this is the maximum.
                return Ok(Solution {
                    couplings: k,
                    pseudo_log_likelihood: value,
                    iterations: iteration,
                    gradient_max,
                });
            }
        }
        if k.iter().any(|x| !x.is_finite() || x.abs() > 1e3) {
            steps = iteration + 1;
            break;
        }
    }
    Err(Error::invalid(
        "configurations",
        format!(
            "data whose pseudo-likelihood has no finite maximum (couplings {k:.3?} after \
             {steps} Newton steps)"
        ),
        "configurations that are not perfectly ordered or separable (more rows, or a \
         higher temperature)",
    ))
}

/// The solution of A x = b for a symmetric positive-definite A (n ≤ 4) by
/// Cholesky factorisation; `None` when a pivot (before its square root)
/// is at most `min_pivot` or at most 10⁻¹² of A's largest diagonal element
/// (A singular to working precision).
fn solve_positive_definite(a: &[Vec<f64>], b: &[f64], min_pivot: f64) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = (0..n).map(|i| a[i][i]).fold(0.0f64, f64::max);
    if scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    let min_pivot = min_pivot.max(1e-12 * scale);
    let mut l = vec![vec![0.0f64; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if sum <= min_pivot {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    let mut y = vec![0.0f64; n];
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0f64; n];
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

/// Row multiplicities of one circular-block-bootstrap resample: ⌈rows/ℓ⌉
/// blocks of ℓ consecutive rows (wrapping past the last row), each starting
/// at a uniform row, truncated to `rows` rows in all.
fn resample(rows: usize, block_length: usize, rng: &mut Rng) -> Vec<u32> {
    let mut weights = vec![0u32; rows];
    let mut taken = 0;
    while taken < rows {
        let start = rng::index_unbiased(rng, rows as u64) as usize;
        for k in 0..block_length.min(rows - taken) {
            weights[(start + k) % rows] += 1;
        }
        taken += block_length;
    }
    weights
}

/// Fits the couplings (h, K_nn, K_nnn, K_□) of the lattice Hamiltonian of
/// the [module documentation](super) to `spins` (`rows × side²`, row-major,
/// site i = row·side + col of the periodic `side × side` lattice) by
/// maximising Besag's pseudo-log-likelihood with Newton's method, with
/// bootstrap error bars if `bootstrap` is given.
///
/// `mask` (`side²` flags, `true` = present), if given, marks sites that are
/// missing (say, coarse-lattice cells that no hidden unit's receptive
/// field is centred on): the values there are ignored, every term that
/// touches a missing site is dropped from H, and missing sites are not
/// predicted. The fit then describes the distribution of the present
/// sites alone: if the missing sites hid spins that interacted with them
/// (holes cut into Ising data, say), those spins have been summed over and
/// their effect appears as modified couplings of the present sites, as in
/// a decimation (a hole couples its neighbours, which are diagonal or two
/// sites apart: K_nnn > 0).
///
/// Tabulating the configurations runs in parallel over rows and the
/// bootstrap in parallel over replicates (rayon); results do not depend on
/// the thread count.
///
/// # Errors
/// - `side` < 3 (neighbours in opposite directions coincide on a smaller
///   torus), `rows` = 0, a length that is not rows·side² (or side² for the
///   mask), a mask with no present site, a value that is not ±1 at a
///   present site (naming its row and site), or invalid options;
/// - data in which the pseudo-likelihood has no unique finite maximum:
///   perfectly ordered configurations (all spins equal), a fitted term that
///   no site has, or couplings that diverge. A bootstrap replicate that
///   fails this way is counted in [`CouplingFit::failed_replicates`]; the
///   fit errs if fewer than two replicates succeed.
///
/// # References
/// - J. Besag, "Statistical analysis of non-lattice data", J. R. Stat. Soc.
///   D 24, 179 (1975) (pseudo-likelihood).
/// - E. Aurell and M. Ekeberg, "Inverse Ising inference using all the
///   data", Phys. Rev. Lett. 108, 090201 (2012) (pseudo-likelihood for
///   inverse Ising problems).
/// - B. Efron, "Bootstrap methods: another look at the jackknife", Ann.
///   Statist. 7, 1 (1979); D. N. Politis and J. P. Romano, "A circular
///   block-resampling procedure for stationary data", in *Exploring the
///   Limits of Bootstrap* (Wiley, 1992).
pub fn fit_couplings(
    spins: &[f32],
    rows: usize,
    side: usize,
    mask: Option<&[bool]>,
    options: &FitOptions,
    bootstrap: Option<&Bootstrap>,
) -> Result<CouplingFit> {
    options.check()?;
    if let Some(b) = bootstrap {
        b.check()?;
    }
    let statistics = SiteStatistics::new(spins, rows, side, mask)?;
    if let Some(b) = bootstrap {
        if b.block_length > rows {
            return Err(Error::invalid(
                "bootstrap block length",
                b.block_length,
                format!("at most the number of rows ({rows})"),
            ));
        }
    }
    fit_statistics(&statistics, options, bootstrap)
}

fn fit_statistics(
    statistics: &SiteStatistics,
    options: &FitOptions,
    bootstrap: Option<&Bootstrap>,
) -> Result<CouplingFit> {
    let active = options.active_terms();
    let solution = maximise(&statistics.histogram(None), active, options)?;
    let (errors, failed_replicates) = match bootstrap {
        None => (None, 0),
        Some(b) => {
            let replicas: Vec<Option<[f64; 4]>> = rng::streams(&rng::root(b.seed), b.replicates)
                .into_par_iter()
                .map(|mut stream| {
                    let weights = resample(statistics.rows, b.block_length, &mut stream);
                    maximise(&statistics.histogram(Some(&weights)), active, options)
                        .ok()
                        .map(|s| s.couplings)
                })
                .collect();
            let good: Vec<[f64; 4]> = replicas.iter().flatten().copied().collect();
            if good.len() < 2 {
                return Err(Error::invalid(
                    "bootstrap replicates",
                    format!("{} of {} that could be fitted", good.len(), b.replicates),
                    "at least 2 resamples with a finite pseudo-likelihood maximum (more \
                     rows or a longer bootstrap)",
                ));
            }
            let count = good.len() as f64;
            let mut std = [0.0f64; 4];
            for (a, sd) in std.iter_mut().enumerate() {
                let mean = good.iter().map(|k| k[a]).sum::<f64>() / count;
                let variance =
                    good.iter().map(|k| (k[a] - mean).powi(2)).sum::<f64>() / (count - 1.0);
                *sd = variance.sqrt();
            }
            (Some(Couplings::from_array(std)), b.replicates - good.len())
        }
    };
    Ok(CouplingFit {
        side: statistics.side,
        rows: statistics.rows,
        sites: statistics.sites,
        couplings: Couplings::from_array(solution.couplings),
        errors,
        failed_replicates,
        pseudo_log_likelihood: solution.pseudo_log_likelihood,
        iterations: solution.iterations,
        gradient_max: solution.gradient_max,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// −H(s) of the module's Hamiltonian on the `side × side` torus, term
    /// by term as documented, with terms touching a missing site dropped.
    pub(crate) fn minus_energy(
        s: &[f64],
        side: usize,
        k: &Couplings,
        present: &dyn Fn(usize) -> bool,
    ) -> f64 {
        let at = |r: usize, c: usize| (r % side) * side + c % side;
        let mut total = 0.0;
        for r in 0..side {
            for c in 0..side {
                let i = at(r, c);
                if !present(i) {
                    continue;
                }
                total += k.field * s[i];
                // Right and down bonds; down-right and down-left diagonals.
                for j in [at(r, c + 1), at(r + 1, c)] {
                    if present(j) {
                        total += k.nearest_neighbour * s[i] * s[j];
                    }
                }
                for j in [at(r + 1, c + 1), at(r + 1, c + side - 1)] {
                    if present(j) {
                        total += k.next_nearest_neighbour * s[i] * s[j];
                    }
                }
                let corners = [i, at(r, c + 1), at(r + 1, c), at(r + 1, c + 1)];
                if corners.iter().all(|&j| present(j)) {
                    total += k.plaquette * corners.iter().map(|&j| s[j]).product::<f64>();
                }
            }
        }
        total
    }

    fn random_signs(n: usize, seed: u64) -> Vec<f32> {
        let mut r = rng::root(seed);
        (0..n)
            .map(|_| {
                if rng::uniform(&mut r) < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect()
    }

    /// The tabulated categories hold exactly the sites' (s_i, θ_i), θ_i =
    /// [H(s with s_i = −1) − H(s with s_i = +1)]/2 computed from the energy
    /// term by term, as multisets: for several random coupling vectors (so
    /// that no coincidence of dot products hides a wrong feature), on full
    /// and masked lattices of several sizes.
    #[test]
    fn renormalized_local_fields_match_energy_differences() {
        let mut r = rng::root(3);
        for side in [3, 4, 5] {
            let n = side * side;
            for masked in [false, true] {
                let mask: Vec<bool> = (0..n).map(|i| !masked || i % 3 != 1).collect();
                let present = |i: usize| mask[i];
                let config = random_signs(n, side as u64 + 10 * u64::from(masked));
                let histogram = SiteStatistics::new(&config, 1, side, Some(&mask))
                    .unwrap()
                    .histogram(None);
                let s: Vec<f64> = config.iter().map(|&x| f64::from(x)).collect();
                for _ in 0..5 {
                    let k = Couplings::from_array(std::array::from_fn(|_| {
                        rng::uniform(&mut r) * 2.0 - 1.0
                    }));
                    let mut tabulated: Vec<(f64, f64)> = Vec::new();
                    for (c, &count) in histogram.iter().enumerate() {
                        let (spin, x) = decode(c);
                        let theta: f64 = x.iter().zip(k.to_array()).map(|(a, b)| a * b).sum();
                        tabulated.extend(std::iter::repeat_n((spin, theta), count as usize));
                    }
                    let mut direct: Vec<(f64, f64)> = (0..n)
                        .filter(|&i| present(i))
                        .map(|i| {
                            let mut up = s.clone();
                            up[i] = 1.0;
                            let mut down = s.clone();
                            down[i] = -1.0;
                            let theta = (minus_energy(&up, side, &k, &present)
                                - minus_energy(&down, side, &k, &present))
                                / 2.0;
                            (s[i], theta)
                        })
                        .collect();
                    let order = |a: &(f64, f64), b: &(f64, f64)| a.partial_cmp(b).unwrap();
                    tabulated.sort_by(order);
                    direct.sort_by(order);
                    assert_eq!(tabulated.len(), direct.len(), "L = {side}");
                    for (a, b) in tabulated.iter().zip(&direct) {
                        assert!(
                            a.0 == b.0 && (a.1 - b.1).abs() < 1e-12,
                            "L = {side}, masked {masked}: {tabulated:?} vs {direct:?}"
                        );
                    }
                }
            }
        }
    }

    /// Enumerate all 2^16 states of the 4 × 4 torus with known couplings:
    /// the pseudo-likelihood of the exact distribution is maximal at the
    /// true couplings (E[s_i − tanh θ_i | rest] = 0), so Newton must
    /// recover them to rounding. The third case has two missing sites
    /// whose terms are absent from H (their spins are free and decoupled),
    /// so the masked fit must recover the couplings too.
    #[test]
    fn renormalized_fit_of_the_exact_distribution_recovers_the_couplings() {
        let side = 4;
        let n = side * side;
        let cases: [(Couplings, &[usize]); 3] = [
            (
                Couplings {
                    field: 0.1,
                    nearest_neighbour: 0.35,
                    next_nearest_neighbour: -0.12,
                    plaquette: 0.08,
                },
                &[],
            ),
            (
                Couplings {
                    field: 0.0,
                    nearest_neighbour: 0.42,
                    next_nearest_neighbour: 0.05,
                    plaquette: -0.03,
                },
                &[],
            ),
            (
                Couplings {
                    field: -0.2,
                    nearest_neighbour: 0.3,
                    next_nearest_neighbour: 0.1,
                    plaquette: 0.15,
                },
                &[5, 10],
            ),
        ];
        for (truth, missing) in cases {
            let present = |i: usize| !missing.contains(&i);
            let hoods = neighbourhoods(side, &present);
            let mut histogram = vec![0.0f64; CATEGORIES];
            let mut s = vec![0.0f64; n];
            let mut log_weights = Vec::with_capacity(1 << n);
            for bits in 0u32..1 << n {
                for (i, x) in s.iter_mut().enumerate() {
                    *x = if bits >> i & 1 == 1 { 1.0 } else { -1.0 };
                }
                log_weights.push(minus_energy(&s, side, &truth, &present));
            }
            let max = log_weights.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x));
            for (bits, lw) in log_weights.iter().enumerate() {
                let p = (lw - max).exp();
                let spin = |j: usize| if bits >> j & 1 == 1 { 1i32 } else { -1 };
                for hood in &hoods {
                    let nn: i32 = hood.nearest.iter().map(|&j| spin(j)).sum();
                    let nnn: i32 = hood.diagonal.iter().map(|&j| spin(j)).sum();
                    let pl: i32 = hood
                        .plaquettes
                        .iter()
                        .map(|q| spin(q[0]) * spin(q[1]) * spin(q[2]))
                        .sum();
                    histogram[category(spin(hood.site) as i8, nn, nnn, pl)] += p;
                }
            }
            let zero_field = truth.field == 0.0;
            let options = FitOptions {
                zero_field,
                ..FitOptions::default()
            };
            let solution = maximise(&histogram, options.active_terms(), &options).unwrap();
            for (fitted, exact) in solution.couplings.iter().zip(truth.to_array()) {
                assert!((fitted - exact).abs() < 1e-9, "{solution:?} vs {truth:?}");
            }
            assert!(solution.gradient_max < 1e-9, "{solution:?}");
            assert!(solution.iterations <= 10, "{solution:?}");
        }
    }

    /// Data that the nearest-neighbour sum separates perfectly (every site
    /// agrees with the sign of nn = ±4, the other features varying freely)
    /// have no finite maximum: K_nn runs away and the fit errs instead of
    /// returning a huge coupling.
    #[test]
    fn renormalized_fit_of_separable_data_errs() {
        let mut histogram = vec![0.0f64; CATEGORIES];
        for nn in [-4i32, 4] {
            for nnn in [-4, -2, 0, 2, 4] {
                for pl in [-4, 0, 4] {
                    histogram[category(nn.signum() as i8, nn, nnn, pl)] += 1.0;
                }
            }
        }
        let options = FitOptions::default();
        let message = maximise(&histogram, options.active_terms(), &options)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("diverge") || message.contains("no finite maximum"),
            "{message}"
        );
    }

    /// The same seed gives the same fit and error bars on one thread as on
    /// the default pool; another seed gives other error bars.
    #[test]
    fn renormalized_bootstrap_does_not_depend_on_the_thread_count() {
        let (side, rows) = (6, 40);
        let spins = random_signs(rows * side * side, 17);
        let bootstrap = Bootstrap {
            replicates: 50,
            block_length: 2,
            seed: 4,
        };
        let fit = |b: &Bootstrap| {
            fit_couplings(&spins, rows, side, None, &FitOptions::default(), Some(b)).unwrap()
        };
        let pooled = fit(&bootstrap);
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| fit(&bootstrap));
        assert_eq!(pooled, single);
        let other = fit(&Bootstrap {
            seed: 5,
            ..bootstrap
        });
        assert_eq!(other.couplings, pooled.couplings);
        assert_ne!(other.errors, pooled.errors);
    }

    #[test]
    fn renormalized_bootstrap_resamples_rows_in_blocks() {
        let mut r = rng::root(5);
        for (rows, block) in [(10, 1), (10, 3), (7, 7), (1, 1)] {
            let w = resample(rows, block, &mut r);
            assert_eq!(w.iter().sum::<u32>() as usize, rows);
        }
        // Blocks of 5 of 10 rows: every draw adds 5 consecutive rows, so
        // the multiplicities are those of two windows [a, a+5) and [b, b+5).
        for _ in 0..20 {
            let w = resample(10, 5, &mut r);
            let windows = (0..10).flat_map(|a| (0..10).map(move |b| (a, b)));
            assert!(
                windows.clone().any(|(a, b)| {
                    (0..10).all(|i| {
                        let inside = |start: usize| u32::from((i + 10 - start) % 10 < 5);
                        w[i] == inside(a) + inside(b)
                    })
                }),
                "{w:?}"
            );
        }
    }

    #[test]
    fn renormalized_fit_rejects_bad_input() {
        let options = FitOptions::default();
        let good = random_signs(2 * 16, 1);
        let message = |r: Result<CouplingFit>| r.unwrap_err().to_string();
        let m = message(fit_couplings(&good[..8], 2, 2, None, &options, None));
        assert!(m.contains("lattice side = 2") && m.contains("L ≥ 3"), "{m}");
        let m = message(fit_couplings(&good[..0], 0, 4, None, &options, None));
        assert!(m.contains("rows = 0"), "{m}");
        let m = message(fit_couplings(&good[1..], 2, 4, None, &options, None));
        assert!(
            m.contains("spin configurations") && m.contains("31 values"),
            "{m}"
        );
        let mut half = good.clone();
        half[16 + 4 * 2 + 3] = 0.0;
        let m = message(fit_couplings(&half, 2, 4, None, &options, None));
        assert!(
            m.contains("spin = 0 at data row 1, lattice row 2, column 3"),
            "{m}"
        );
        // A value at a missing site is ignored.
        let mut mask = vec![true; 16];
        mask[11] = false;
        if let Err(e) = fit_couplings(&half, 2, 4, Some(&mask), &options, None) {
            // Two rows may not determine four couplings; only the spin check matters.
            assert!(!e.to_string().contains("spin ="), "{e}");
        }
        let m = message(fit_couplings(
            &good,
            2,
            4,
            Some(&mask[..15]),
            &options,
            None,
        ));
        assert!(m.contains("site mask") && m.contains("15 values"), "{m}");
        let m = message(fit_couplings(
            &good,
            2,
            4,
            Some(&[false; 16]),
            &options,
            None,
        ));
        assert!(m.contains("no present site"), "{m}");
        let m = message(fit_couplings(
            &good,
            2,
            4,
            None,
            &FitOptions {
                max_iterations: 0,
                ..options
            },
            None,
        ));
        assert!(m.contains("max_iterations = 0"), "{m}");
        let m = message(fit_couplings(
            &good,
            2,
            4,
            None,
            &FitOptions {
                tolerance: f64::NAN,
                ..options
            },
            None,
        ));
        assert!(m.contains("tolerance = NaN"), "{m}");
        let bootstrap = Bootstrap {
            replicates: 1,
            block_length: 1,
            seed: 0,
        };
        let m = message(fit_couplings(&good, 2, 4, None, &options, Some(&bootstrap)));
        assert!(m.contains("bootstrap replicates = 1"), "{m}");
        let m = message(fit_couplings(
            &good,
            2,
            4,
            None,
            &options,
            Some(&Bootstrap {
                replicates: 10,
                block_length: 3,
                seed: 0,
            }),
        ));
        assert!(m.contains("bootstrap block length = 3"), "{m}");
        // All spins up: every site has the same features, so the couplings
        // are not identifiable.
        let up = vec![1.0f32; 3 * 16];
        let m = message(fit_couplings(&up, 3, 4, None, &options, None));
        assert!(m.contains("linearly dependent"), "{m}");
        let m = message(fit_couplings(
            &up,
            3,
            4,
            None,
            &FitOptions {
                zero_field: true,
                ..options
            },
            None,
        ));
        assert!(m.contains("K_nn, K_nnn, K_plaquette"), "{m}");
    }
}
