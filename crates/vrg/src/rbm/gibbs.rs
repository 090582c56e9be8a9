//! Block Gibbs sampling of an RBM: h ~ P(h | v), v ~ P(v | h), and the
//! alternating step v → h → v′.
//!
//! Randomness: a batch is cut into chunks of [`SAMPLING_CHUNK_ROWS`] rows and
//! chunk k draws from its own stream, the caller's generator jumped k times
//! ([`rng::streams`]); afterwards the caller's generator is left jumped once
//! past the last chunk's stream, so consecutive calls use fresh,
//! non-overlapping streams. The same seed therefore gives the same samples
//! whatever the number of threads.
//!
//! Unit rules, with x the unit's input (bias plus weighted sum):
//! - Bernoulli: 1 if u < σ(x), else 0 (u uniform in [0, 1));
//! - spin: +1 if u < σ(2x) = (1 + tanh x)/2, else −1;
//! - Gaussian (visible or hidden): x + z, z ~ N(0, 1) by the Box–Muller transform.
//!
//! # References
//! - G. E. Hinton, *A Practical Guide to Training Restricted Boltzmann
//!   Machines*, UTML TR 2010-003 (2010), §3 (updating the hidden and visible states).
//! - G. E. P. Box and M. E. Muller, *A Note on the Generation of Random Normal
//!   Deviates*, Ann. Math. Statist. 29, 610 (1958).

use super::model::Rbm;
use super::units::{sigmoid, HiddenUnits, VisibleUnits};
use crate::rng::{self, Rng};
use crate::Result;
use rayon::prelude::*;

/// Rows per random stream in the samplers. Fixed, so results do not depend
/// on the thread count.
pub const SAMPLING_CHUNK_ROWS: usize = 64;

/// One stream per chunk of `rows`, and advance `rng` past them.
fn chunk_streams(rng: &mut Rng, rows: usize) -> Vec<Rng> {
    let n_chunks = rows.div_ceil(SAMPLING_CHUNK_ROWS);
    let streams = rng::streams(rng, n_chunks);
    if let Some(last) = streams.last() {
        *rng = last.clone();
        rng.jump();
    }
    streams
}

/// Replace each input x in `values` (`rows × n`, row-major) by a sample of
/// the unit drawn by `sample_chunk`, chunk by chunk, each with its own stream.
fn sample_in_chunks(
    values: &mut [f32],
    n: usize,
    rows: usize,
    rng: &mut Rng,
    sample_chunk: impl Fn(&mut [f32], &mut Rng) + Sync,
) {
    if rows == 0 || n == 0 {
        return;
    }
    let mut streams = chunk_streams(rng, rows);
    values
        .par_chunks_mut(SAMPLING_CHUNK_ROWS * n)
        .zip(streams.par_iter_mut())
        .for_each(|(chunk, stream)| sample_chunk(chunk, stream));
}

/// Bernoulli (1 if u < σ(x)) or spin (+1 if u < σ(2x)) samples in place.
#[inline]
pub(crate) fn sample_binary(chunk: &mut [f32], rng: &mut Rng, spin: bool) {
    for x in chunk.iter_mut() {
        let u = rng::uniform(rng) as f32;
        *x = if spin {
            if u < sigmoid(2.0 * *x) {
                1.0
            } else {
                -1.0
            }
        } else if u < sigmoid(*x) {
            1.0
        } else {
            0.0
        };
    }
}

/// x + z with z ~ N(0, 1), in place, two normals per Box–Muller pair:
/// z₁ = r cos 2πu₂, z₂ = r sin 2πu₂ with r = √(−2 ln(1 − u₁)) (Box & Muller 1958).
#[inline]
pub(crate) fn add_standard_normal(chunk: &mut [f32], rng: &mut Rng) {
    let mut pairs = chunk.chunks_exact_mut(2);
    for pair in &mut pairs {
        let (z1, z2) = rng::normal_pair(rng);
        pair[0] += z1 as f32;
        pair[1] += z2 as f32;
    }
    if let [last] = pairs.into_remainder() {
        *last += rng::normal_pair(rng).0 as f32;
    }
}

impl Rbm {
    /// Samples h ~ P(h | v) for each row of `v` (`rows × n_visible`) into `out`
    /// (`rows × n_hidden`): Bernoulli h_j = 1 with probability σ(x_j), spin
    /// h_j = +1 with probability σ(2x_j), Gaussian h_j = x_j + z with
    /// z ~ N(0, 1), x = c + vᵀW (Hinton 2010, §3.1).
    /// Draws from per-chunk streams derived from `rng` and advances `rng`
    /// (see the module documentation). Allocates only the chunk streams.
    pub fn sample_hiddens(
        &self,
        v: &[f32],
        rows: usize,
        rng: &mut Rng,
        out: &mut [f32],
    ) -> Result<()> {
        self.visible_to_hidden_input(v, rows, out)?;
        let units = self.hidden_units();
        sample_in_chunks(
            out,
            self.n_hidden(),
            rows,
            rng,
            |chunk, stream| match units {
                HiddenUnits::Bernoulli => sample_binary(chunk, stream, false),
                HiddenUnits::Spin => sample_binary(chunk, stream, true),
                HiddenUnits::Gaussian => add_standard_normal(chunk, stream),
            },
        );
        Ok(())
    }

    /// Samples v ~ P(v | h) for each row of `h` (`rows × n_hidden`) into `out`
    /// (`rows × n_visible`), with a = b + Wh: Bernoulli v_i = 1 with probability
    /// σ(a_i), spin v_i = +1 with probability σ(2a_i), Gaussian v_i = a_i + z,
    /// z ~ N(0, 1) (Hinton 2010, §3.2 and §13.2). Streams as in
    /// [`Rbm::sample_hiddens`].
    pub fn sample_visibles(
        &self,
        h: &[f32],
        rows: usize,
        rng: &mut Rng,
        out: &mut [f32],
    ) -> Result<()> {
        self.hidden_to_visible_input(h, rows, out)?;
        let units = self.visible_units();
        sample_in_chunks(
            out,
            self.n_visible(),
            rows,
            rng,
            |chunk, stream| match units {
                VisibleUnits::Bernoulli => sample_binary(chunk, stream, false),
                VisibleUnits::Spin => sample_binary(chunk, stream, true),
                VisibleUnits::Gaussian => add_standard_normal(chunk, stream),
            },
        );
        Ok(())
    }

    /// One block Gibbs step v → h → v′: `hidden` (`rows × n_hidden`) receives
    /// h ~ P(h | v) and `visible_out` (`rows × n_visible`) receives
    /// v′ ~ P(v | h). Equivalent to [`Rbm::sample_hiddens`] followed by
    /// [`Rbm::sample_visibles`] with the same `rng`.
    pub fn gibbs_step(
        &self,
        v: &[f32],
        rows: usize,
        rng: &mut Rng,
        hidden: &mut [f32],
        visible_out: &mut [f32],
    ) -> Result<()> {
        self.check_visible("visible output (rows × n_visible)", visible_out, rows)?;
        self.sample_hiddens(v, rows, rng, hidden)?;
        self.sample_visibles(hidden, rows, rng, visible_out)
    }
}

impl Rbm {
    /// `n_chains` independent block-Gibbs chains run for `gibbs_steps`
    /// steps from a uniformly random start (Bernoulli: fair coins, spin:
    /// ±1 with probability ½, Gaussian: N(0, 1)); returns the final visible
    /// states (`n_chains × n_visible`). Draws from family
    /// [`rng::families::SAMPLING`] of `seed`: its first stream makes the
    /// start, its second drives the chains, so results do not depend on
    /// the thread count. `step_done` is called after every step.
    pub fn sample_chains(
        &self,
        n_chains: usize,
        gibbs_steps: usize,
        seed: u64,
        step_done: &dyn Fn(),
    ) -> Result<Vec<f32>> {
        if n_chains == 0 {
            return Err(crate::Error::invalid("samples", 0, "at least 1 chain"));
        }
        if gibbs_steps == 0 {
            return Err(crate::Error::invalid("gibbs-steps", 0, "at least 1 step"));
        }
        let (nv, nh) = (self.n_visible(), self.n_hidden());
        crate::memory::check_product(
            || format!("{n_chains} chains of {nv} visible + {nh} hidden units"),
            &[n_chains, nv.saturating_mul(2).saturating_add(nh)],
            std::mem::size_of::<f32>(),
        )?;
        let sampling = rng::family(seed, rng::families::SAMPLING);
        let mut streams = rng::streams(&sampling, 2).into_iter();
        let mut start = streams.next().expect("two streams");
        let mut visible: Vec<f32> = (0..n_chains * nv)
            .map(|_| match self.visible_units() {
                VisibleUnits::Bernoulli => (rng::uniform(&mut start) < 0.5) as u8 as f32,
                VisibleUnits::Spin => {
                    if rng::uniform(&mut start) < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                VisibleUnits::Gaussian => rng::normal_pair(&mut start).0 as f32,
            })
            .collect();
        let mut next = vec![0.0f32; n_chains * nv];
        let mut hidden = vec![0.0f32; n_chains * nh];
        let mut chain_rng = streams.next().expect("two streams");
        for _ in 0..gibbs_steps {
            self.gibbs_step(&visible, n_chains, &mut chain_rng, &mut hidden, &mut next)?;
            std::mem::swap(&mut visible, &mut next);
            step_done();
        }
        Ok(visible)
    }
}
