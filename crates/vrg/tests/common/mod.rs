//! Helpers shared by the RBM test files (each includes this module).
#![allow(dead_code)]

use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::rng::{self, Rng};

/// Every pair of unit types.
pub const PAIRS: [(VisibleUnits, HiddenUnits); 6] = [
    (VisibleUnits::Bernoulli, HiddenUnits::Bernoulli),
    (VisibleUnits::Bernoulli, HiddenUnits::Spin),
    (VisibleUnits::Spin, HiddenUnits::Bernoulli),
    (VisibleUnits::Spin, HiddenUnits::Spin),
    (VisibleUnits::Gaussian, HiddenUnits::Bernoulli),
    (VisibleUnits::Gaussian, HiddenUnits::Spin),
];

/// A standard normal by Box–Muller (the tests' own, independent of the library's).
pub fn normal(rng: &mut Rng) -> f64 {
    let u1 = rng::uniform(rng);
    let u2 = rng::uniform(rng);
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Weights ~ N(0, scale²), biases ~ N(0, (scale/2)²).
pub fn random_model(
    visible: VisibleUnits,
    hidden: HiddenUnits,
    n_visible: usize,
    n_hidden: usize,
    scale: f64,
    seed: u64,
) -> Rbm {
    let mut rng = rng::root(seed);
    let mut draw =
        |n: usize, s: f64| -> Vec<f32> { (0..n).map(|_| (s * normal(&mut rng)) as f32).collect() };
    let weights = draw(n_visible * n_hidden, scale);
    let b = draw(n_visible, scale / 2.0);
    let c = draw(n_hidden, scale / 2.0);
    Rbm::from_parameters(visible, hidden, weights, b, c).expect("valid random model")
}

/// [`random_model`] for a (visible, hidden) pair of unit types.
pub fn random_pair_model(
    pair: (VisibleUnits, HiddenUnits),
    n_visible: usize,
    n_hidden: usize,
    scale: f64,
    seed: u64,
) -> Rbm {
    random_model(pair.0, pair.1, n_visible, n_hidden, scale, seed)
}
