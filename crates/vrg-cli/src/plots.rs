//! Figures shared by the commands: the values a command already computed go
//! in, [`vrg_plot::LinePlot`]s come out (drawn with [`vrg_plot::panels`]).
//!
//! - [`ising_scan`]: Ising observables against temperature (`vrg ising
//!   sample --plot`), Monte Carlo with error bars beside the exact curves.
//! - [`training_curves`]: an RBM's monitor against epoch (`vrg rbm train
//!   --plot`).

use vrg::ising::exact::{
    critical_temperature, kaufman, onsager_energy_per_spin, yang_magnetization,
};
use vrg::ising::ChainResult;
use vrg::stats::Estimate;
use vrg::train::EpochRecord;
use vrg_plot::{LinePlot, Series, SeriesStyle};

/// Panels per row of a multi-panel figure.
pub const COLUMNS: usize = 2;
/// Width of one panel, in pixels.
const PANEL_WIDTH: u32 = 640;
/// Height of one panel, in pixels.
const PANEL_HEIGHT: u32 = 460;
/// Temperatures at which the exact curves are evaluated (plus T_c when it
/// lies in the range, where Yang's magnetisation drops to 0).
pub const EXACT_POINTS: usize = 200;

/// The points `(T, y)` of a curve.
pub type Curve = Vec<(f64, f64)>;

const X_LABEL: &str = "temperature T (k_B = 1, same units as J)";

/// `n ≥ 2` equally spaced temperatures from `low` to `high` inclusive.
pub fn temperature_grid(low: f64, high: f64, n: usize) -> Vec<f64> {
    let last = n.max(2) - 1;
    (0..=last)
        .map(|i| low + (high - low) * i as f64 / last as f64)
        .collect()
}

/// Kaufman's exact energy and specific heat per spin of the L×L torus at
/// each of `temperatures`, as (energy, specific heat) curves. Temperatures
/// where the formula fails or gives a non-finite value are left out.
pub fn kaufman_curves(size: usize, coupling: f64, temperatures: &[f64]) -> (Curve, Curve) {
    let mut energy = Vec::new();
    let mut heat = Vec::new();
    for &t in temperatures {
        if let Ok(k) = kaufman(size, size, t, coupling) {
            if plottable(k.energy_per_spin) {
                energy.push((t, k.energy_per_spin));
            }
            if plottable(k.specific_heat_per_spin) {
                heat.push((t, k.specific_heat_per_spin));
            }
        }
    }
    (energy, heat)
}

/// `f(T)` at each of `temperatures`, leaving out failures and non-finite
/// values.
fn curve(temperatures: &[f64], f: impl Fn(f64) -> vrg::Result<f64>) -> Curve {
    temperatures
        .iter()
        .filter_map(|&t| f(t).ok().filter(|&y| plottable(y)).map(|y| (t, y)))
        .collect()
}

/// Whether `v` can be drawn (finite and within the plotting range).
fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= vrg_plot::MAX_ABS_VALUE
}

/// Monte Carlo points with error bars: one per chain whose mean can be drawn
/// (an error bar that cannot is drawn as 0).
fn monte_carlo(
    name: &str,
    results: &[ChainResult],
    pick: impl Fn(&ChainResult) -> Estimate,
) -> Series {
    let (points, errors) = results
        .iter()
        .map(|r| (r.model.temperature, pick(r)))
        .filter(|(_, e)| plottable(e.mean))
        .map(|(t, e)| {
            let error = if plottable(e.error) && e.error >= 0.0 {
                e.error
            } else {
                0.0
            };
            ((t, e.mean), error)
        })
        .unzip();
    Series {
        name: name.to_owned(),
        points,
        y_errors: Some(errors),
        style: SeriesStyle::Points,
    }
}

/// A line series, or `None` when it has no point.
fn line(name: String, points: Curve) -> Option<Series> {
    (!points.is_empty()).then_some(Series {
        name,
        points,
        y_errors: None,
        style: SeriesStyle::Line,
    })
}

/// The panels of `vrg ising sample --plot`, from the chains of one run (same
/// L, J and h; at least one chain): energy per spin, specific heat per spin,
/// |m| per spin and the Binder cumulant against temperature. Monte Carlo
/// values with their error bars are those the command writes to FILE.json;
/// for the zero-field ferromagnet (h = 0, J > 0) Kaufman's exact curves for
/// the same L and Onsager's / Yang's for L → ∞ are drawn on
/// [`EXACT_POINTS`] temperatures over the sampled range. Otherwise the
/// titles say why there are none.
pub fn ising_scan(results: &[ChainResult]) -> Vec<LinePlot> {
    let Some(first) = results.first() else {
        return Vec::new();
    };
    let (size, coupling, field) = (first.model.size, first.model.coupling, first.model.field);
    let low = results
        .iter()
        .map(|r| r.model.temperature)
        .fold(f64::INFINITY, f64::min);
    let high = results
        .iter()
        .map(|r| r.model.temperature)
        .fold(f64::NEG_INFINITY, f64::max);
    let exact_applies = field == 0.0 && coupling > 0.0;
    let mut grid = temperature_grid(low, high, EXACT_POINTS);
    let mut grid_with_tc = grid.clone();
    if exact_applies {
        let tc = critical_temperature(coupling);
        if low < tc && tc < high {
            grid_with_tc.push(tc);
            grid_with_tc.sort_by(f64::total_cmp);
        }
    } else {
        grid.clear();
        grid_with_tc.clear();
    }
    let (kaufman_energy, kaufman_heat) = kaufman_curves(size, coupling, &grid);
    let onsager = curve(&grid_with_tc, |t| onsager_energy_per_spin(t, coupling));
    let yang = curve(&grid_with_tc, |t| yang_magnetization(t, coupling));

    let mc = format!("Monte Carlo, L = {size}");
    let kaufman_name = format!("exact (Kaufman), L = {size}");
    let model = format!("{size}×{size} torus, J = {coupling}, h = {field}");
    let no_exact = if exact_applies {
        String::new()
    } else if field != 0.0 {
        " (no exact curve: h ≠ 0)".to_owned()
    } else {
        " (no exact curve: J < 0)".to_owned()
    };
    let panel = |title: String, y_label: &str, series: Vec<Option<Series>>| LinePlot {
        title,
        x_label: X_LABEL.to_owned(),
        y_label: y_label.to_owned(),
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        series: series.into_iter().flatten().collect(),
    };
    vec![
        panel(
            format!("Energy per spin{no_exact}"),
            "E/N (same units as J)",
            vec![
                Some(monte_carlo(&mc, results, |r| r.observables.energy_per_spin)),
                line(kaufman_name.clone(), kaufman_energy),
                line("exact (Onsager), L → ∞".to_owned(), onsager),
            ],
        ),
        panel(
            format!("Specific heat per spin{no_exact}"),
            "c = C/N (k_B = 1, dimensionless)",
            vec![
                Some(monte_carlo(&mc, results, |r| r.observables.specific_heat)),
                line(kaufman_name, kaufman_heat),
            ],
        ),
        panel(
            format!("Magnetisation per spin{no_exact}"),
            "|m| = |M|/N (dimensionless)",
            vec![
                Some(monte_carlo(&mc, results, |r| {
                    r.observables.abs_magnetization
                })),
                line("spontaneous (Yang), L → ∞".to_owned(), yang),
            ],
        ),
        panel(
            format!("Binder cumulant, {model}"),
            "U = 1 − <m⁴>/(3 <m²>²) (dimensionless)",
            vec![Some(monte_carlo(&mc, results, |r| {
                r.observables.binder_cumulant
            }))],
        ),
    ]
}

/// The values of one epoch that [`training_curves`] draws: taken from an
/// [`EpochRecord`] or read back from a line of the training log.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct EpochPoint {
    pub epoch: usize,
    pub free_energy_train: f64,
    #[serde(default)]
    pub free_energy_validation: Option<f64>,
    #[serde(default)]
    pub free_energy_gap: Option<f64>,
    pub reconstruction_error: f64,
    #[serde(default)]
    pub pseudo_log_likelihood: Option<f64>,
    #[serde(default)]
    pub log_likelihood_train: Option<f64>,
    #[serde(default)]
    pub log_likelihood_validation: Option<f64>,
}

impl From<&EpochRecord> for EpochPoint {
    fn from(r: &EpochRecord) -> Self {
        let m = &r.metrics;
        let l = r.likelihood.as_ref();
        EpochPoint {
            epoch: m.epoch,
            free_energy_train: m.free_energy_train,
            free_energy_validation: m.free_energy_validation,
            free_energy_gap: m.free_energy_gap,
            reconstruction_error: m.reconstruction_error,
            pseudo_log_likelihood: m.pseudo_log_likelihood,
            log_likelihood_train: l.map(|l| l.log_likelihood_train),
            log_likelihood_validation: l.and_then(|l| l.log_likelihood_validation),
        }
    }
}

impl EpochPoint {
    /// The epoch values of one line of a training log, or `None` when the
    /// line is no epoch record (not JSON, or without the monitor's keys).
    pub fn from_log_line(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }
}

/// The panels of `vrg rbm train --plot` from a run's epochs (each an
/// [`EpochRecord`] of this run, `EpochPoint::from(&record)`, or a line of the
/// log of an earlier one), against epoch: the mean free energy
/// H(v) of the monitored training and held-out rows (Hinton's overfitting
/// monitor), their gap, the reconstruction error and the pseudo-log-likelihood
/// with ln p(v) where it was evaluated. A series without a value is left out,
/// and a panel without a series.
pub fn training_curves(points: &[EpochPoint]) -> Vec<LinePlot> {
    let series = |name: &str, style: SeriesStyle, pick: &dyn Fn(&EpochPoint) -> Option<f64>| {
        let points: Curve = points
            .iter()
            .filter_map(|p| {
                pick(p)
                    .filter(|&y| plottable(y))
                    .map(|y| (p.epoch as f64, y))
            })
            .collect();
        (!points.is_empty()).then(|| Series {
            name: name.to_owned(),
            points,
            y_errors: None,
            style,
        })
    };
    let panel = |title: &str, y_label: &str, series: Vec<Option<Series>>| {
        let series: Vec<Series> = series.into_iter().flatten().collect();
        (!series.is_empty()).then(|| LinePlot {
            title: title.to_owned(),
            x_label: "epoch".to_owned(),
            y_label: y_label.to_owned(),
            width: PANEL_WIDTH,
            height: PANEL_HEIGHT,
            series,
        })
    };
    [
        panel(
            "Mean free energy H(v) (overfitting monitor)",
            "free energy per row (nats)",
            vec![
                series("training rows", SeriesStyle::Line, &|p| {
                    Some(p.free_energy_train)
                }),
                series("held-out rows", SeriesStyle::Line, &|p| {
                    p.free_energy_validation
                }),
            ],
        ),
        panel(
            "Free-energy gap, held out − training",
            "gap per row (nats)",
            vec![series("held out − training", SeriesStyle::Line, &|p| {
                p.free_energy_gap
            })],
        ),
        panel(
            "Reconstruction error",
            "squared error per visible unit",
            vec![series("training rows", SeriesStyle::Line, &|p| {
                Some(p.reconstruction_error)
            })],
        ),
        panel(
            "Pseudo-log-likelihood and ln p(v)",
            "per row (nats)",
            vec![
                series("pseudo-log-likelihood", SeriesStyle::Line, &|p| {
                    p.pseudo_log_likelihood
                }),
                series("ln p(v), training rows", SeriesStyle::Points, &|p| {
                    p.log_likelihood_train
                }),
                series("ln p(v), held-out rows", SeriesStyle::Points, &|p| {
                    p.log_likelihood_validation
                }),
            ],
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrg::ising::{run_temperatures, Algorithm, IsingModel, SamplingPlan};

    #[test]
    fn kaufman_curves_are_the_library_values_on_the_grid() {
        let grid = temperature_grid(1.5, 3.5, EXACT_POINTS);
        assert_eq!(grid.len(), EXACT_POINTS);
        assert_eq!((grid[0], grid[EXACT_POINTS - 1]), (1.5, 3.5));
        let (energy, heat) = kaufman_curves(6, 1.0, &grid);
        assert_eq!(energy.len(), grid.len());
        assert_eq!(heat.len(), grid.len());
        for ((&t, &(te, e)), &(tc, c)) in grid.iter().zip(&energy).zip(&heat) {
            let k = kaufman(6, 6, t, 1.0).unwrap();
            assert_eq!((te, e), (t, k.energy_per_spin));
            assert_eq!((tc, c), (t, k.specific_heat_per_spin));
        }
    }

    fn chains(field: f64) -> Vec<ChainResult> {
        let models: Vec<IsingModel> = [1.5, 2.5, 3.5]
            .iter()
            .map(|&t| IsingModel::new(4, 1.0, field, t).unwrap())
            .collect();
        let plan = SamplingPlan {
            samples: 10,
            sweeps: 1,
            burn_in: 10,
            algorithm: Algorithm::Metropolis,
        };
        run_temperatures(&models, &plan, 1, None, &|_| {}).unwrap()
    }

    #[test]
    fn scan_panels_reuse_the_observables_and_draw_exact_curves() {
        let results = chains(0.0);
        let plots = ising_scan(&results);
        assert_eq!(plots.len(), 4);
        let energy = &plots[0];
        assert_eq!(energy.series.len(), 3);
        let mc = &energy.series[0];
        let expected: Vec<(f64, f64)> = results
            .iter()
            .map(|r| (r.model.temperature, r.observables.energy_per_spin.mean))
            .collect();
        assert_eq!(mc.points, expected);
        let errors: Vec<f64> = results
            .iter()
            .map(|r| r.observables.energy_per_spin.error)
            .collect();
        assert_eq!(mc.y_errors.as_deref(), Some(&errors[..]));
        let (kaufman_energy, _) = kaufman_curves(4, 1.0, &temperature_grid(1.5, 3.5, EXACT_POINTS));
        assert_eq!(energy.series[1].points, kaufman_energy);
        // Onsager's and Yang's curves include T_c.
        let tc = critical_temperature(1.0);
        assert!(energy.series[2].points.iter().any(|&(t, _)| t == tc));
        assert_eq!(plots[1].series.len(), 2);
        assert_eq!(plots[2].series.len(), 2);
        assert!(plots[2].series[1]
            .points
            .iter()
            .all(|&(t, m)| (t >= tc) == (m == 0.0)));
        assert_eq!(plots[3].series.len(), 1);
        vrg_plot::panels(&plots, COLUMNS).unwrap();
    }

    #[test]
    fn no_exact_curves_in_a_field() {
        let plots = ising_scan(&chains(0.5));
        for p in &plots {
            assert_eq!(p.series.len(), 1, "{}", p.title);
        }
        assert!(plots[0].title.contains("no exact curve: h ≠ 0"));
        assert!(plots[3].title.contains("h = 0.5"));
        vrg_plot::panels(&plots, COLUMNS).unwrap();
    }

    fn epoch(epoch: usize, held_out: bool, likelihood: bool) -> EpochPoint {
        let e = epoch as f64;
        EpochPoint {
            epoch,
            free_energy_train: -10.0 - e,
            free_energy_validation: held_out.then_some(-9.0 - e),
            free_energy_gap: held_out.then_some(1.0),
            reconstruction_error: 0.5 / e,
            pseudo_log_likelihood: Some(-7.0 + e),
            log_likelihood_train: likelihood.then_some(-8.0 + e),
            log_likelihood_validation: (likelihood && held_out).then_some(-8.5 + e),
        }
    }

    #[test]
    fn training_curve_points_are_the_records_values() {
        let points: Vec<EpochPoint> = (1..=3).map(|e| epoch(e, true, e == 3)).collect();
        let plots = training_curves(&points);
        assert_eq!(plots.len(), 4);
        let xy = |f: &dyn Fn(&EpochPoint) -> Option<f64>| -> Curve {
            points
                .iter()
                .filter_map(|p| f(p).map(|y| (p.epoch as f64, y)))
                .collect()
        };
        assert_eq!(
            plots[0].series[0].points,
            xy(&|p| Some(p.free_energy_train))
        );
        assert_eq!(plots[0].series[1].points, xy(&|p| p.free_energy_validation));
        assert_eq!(plots[1].series[0].points, xy(&|p| p.free_energy_gap));
        assert_eq!(
            plots[2].series[0].points,
            xy(&|p| Some(p.reconstruction_error))
        );
        assert_eq!(plots[3].series[0].points, xy(&|p| p.pseudo_log_likelihood));
        assert_eq!(plots[3].series[1].points, vec![(3.0, -5.0)]);
        assert_eq!(plots[3].series[2].points, vec![(3.0, -5.5)]);
        assert_eq!(plots[3].series[1].style, SeriesStyle::Points);
        for p in &plots {
            assert_eq!(p.x_label, "epoch");
        }
        vrg_plot::panels(&plots, COLUMNS).unwrap();
    }

    #[test]
    fn training_curves_skip_what_has_no_data() {
        let points: Vec<EpochPoint> = (1..=2).map(|e| epoch(e, false, false)).collect();
        let plots = training_curves(&points);
        // No held-out rows: no gap panel, one free-energy series.
        assert_eq!(plots.len(), 3);
        assert_eq!(plots[0].series.len(), 1);
        assert_eq!(plots[2].series.len(), 1);
        vrg_plot::panels(&plots, COLUMNS).unwrap();
    }

    #[test]
    fn log_lines_give_epoch_points() {
        let line = r#"{"epoch":2,"free_energy_train":-3.5,"free_energy_validation":null,"free_energy_gap":null,"reconstruction_error":0.25,"pseudo_log_likelihood":-4.0,"seconds":0.1,"learning_rate":0.1,"momentum":0.5,"log_z":1.0,"log_likelihood_train":-5.0,"log_likelihood_validation":null}"#;
        let p = EpochPoint::from_log_line(line).unwrap();
        assert_eq!(p.epoch, 2);
        assert_eq!(p.free_energy_train, -3.5);
        assert_eq!(p.log_likelihood_train, Some(-5.0));
        assert_eq!(p.free_energy_validation, None);
        assert!(EpochPoint::from_log_line("{\"layer\":1}").is_none());
        assert!(EpochPoint::from_log_line("not json").is_none());
    }
}
