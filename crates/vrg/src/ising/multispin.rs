//! Checkerboard Metropolis with multi-spin coding: 64 spins per `u64`.
//!
//! The L×L torus (L even) is split into its two checkerboard sublattices.
//! Row r of the *black* sublattice holds the sites (r, 2j + r mod 2) and row r
//! of the *white* one the sites (r, 2j + 1 − r mod 2), j = 0 … L/2 − 1, each
//! packed contiguously into ⌈L/2 / 64⌉ words, bit set ⇔ s = +1. Every
//! neighbour of a black site is white and vice versa; for the word holding
//! sites j of a row, the four neighbours are the same word of the other
//! colour in rows r − 1, r, r + 1 and that row shifted by one site (towards
//! j − 1 or j + 1 depending on colour and row parity). So a half sweep
//! updates 64 spins with a few dozen bitwise operations:
//!
//! 1. a_k = s XOR nb_k marks anti-aligned neighbours; a bit-sliced adder turns
//!    the four a_k into the 3-bit count n ∈ 0…4 per lane.
//! 2. ΔE of a flip is 2J(4 − 2n) + 2h s, so each (n, s) class has one
//!    Metropolis probability p = min(1, e^{−βΔE}). Classes with p = 1 flip
//!    outright; for the others a bit-sliced comparison u < p draws 64
//!    independent uniforms u at once, most significant bit first, stopping
//!    as soon as every lane is decided (≈ log₂ 64 + 2 random words per 64
//!    spins). The comparison is exact: a lane undecided after 64 bits has
//!    u = p to 64 bits and is rejected.
//!
//! When a sublattice row has fewer than 64 sites (L < 128), G rows share a
//! word so that words stay full: word p holds rows p, p + R, …, p + (G−1)R
//! (R = L/G, G the largest divisor of L with G·L/2 ≤ 64 and R even), each
//! in its own field of L/2 bits. The rows of one word then have the same
//! parity, their up and down neighbours are the same fields of words p ∓ 1
//! — for p = 0 and p = R − 1, the other end's word with its fields rotated
//! by one — and the same-row shift wraps inside each field. At L = 64 a
//! word holds two rows of 32 sites instead of one.
//!
//! Rows (or words of rows) are grouped into fixed chunks, each with its own
//! random stream, so the chain is the same whatever the number of threads.
//!
//! # References
//! - N. Metropolis, A. W. Rosenbluth, M. N. Rosenbluth, A. H. Teller and
//!   E. Teller, J. Chem. Phys. 21, 1087 (1953).
//! - M. Creutz, L. Jacobs and C. Rebbi, Phys. Rev. D 20, 1915 (1979);
//!   R. Zorn, H. J. Herrmann and C. Rebbi, Comput. Phys. Commun. 23, 337
//!   (1981) (multi-spin coding).
//! - B. Block, P. Virnau and T. Preis, Comput. Phys. Commun. 181, 1549 (2010)
//!   (checkerboard multi-spin coding).

use super::model::IsingModel;
use crate::rng::{self, Rng};
use rand::RngCore;
use rayon::prelude::*;

/// Rows per chunk of work (each chunk has its own random stream).
const ROWS_PER_CHUNK: usize = 16;
/// Below this many spins a half sweep is run on the calling thread: rayon's
/// dispatch would cost more than the work.
const PARALLEL_MIN_SPINS: usize = 1 << 15;

/// One Metropolis class: the lanes in it and its acceptance probability as a
/// 64-bit fixed-point threshold (accept ⇔ u < threshold / 2^64).
#[derive(Clone, Copy, Debug)]
struct Class {
    /// Anti-aligned neighbour count n this class applies to.
    anti_aligned: u8,
    /// Which central spins: `None` for both, `Some(true)` for s = +1.
    spin_up: Option<bool>,
    threshold: u64,
}

/// Acceptance rules for one temperature, coupling and field.
#[derive(Clone, Debug)]
struct Rules {
    /// Bit n set: classes with n anti-aligned neighbours always flip, both spins.
    always_both: u8,
    /// Bit n set: always flip when s = +1 (resp. −1); used when h ≠ 0.
    always_up: u8,
    always_down: u8,
    /// Classes that need a random number.
    random: Vec<Class>,
    /// The common case h = 0, J > 0 at T > 0: n ≥ 2 always flips, n = 1 and
    /// n = 0 flip with these thresholds (e^{−4βJ}, e^{−8βJ}).
    ferromagnet: Option<[u64; 2]>,
}

impl Rules {
    fn new(model: &IsingModel) -> Self {
        let beta = model.beta();
        let probability = |n: u8, s: f64| {
            let delta = 2.0 * model.coupling * (4.0 - 2.0 * n as f64) + 2.0 * model.field * s;
            (-beta * delta).exp().min(1.0)
        };
        let threshold = |p: f64| -> u64 {
            // p < 1 here, so p·2^64 < 2^64
            (p * 18446744073709551616.0) as u64
        };
        let mut rules = Rules {
            always_both: 0,
            always_up: 0,
            always_down: 0,
            random: Vec::new(),
            ferromagnet: None,
        };
        for n in 0..=4u8 {
            let (p_up, p_down) = (probability(n, 1.0), probability(n, -1.0));
            if p_up == p_down {
                if p_up >= 1.0 {
                    rules.always_both |= 1 << n;
                } else if threshold(p_up) > 0 {
                    rules.random.push(Class {
                        anti_aligned: n,
                        spin_up: None,
                        threshold: threshold(p_up),
                    });
                }
            } else {
                for (up, p) in [(true, p_up), (false, p_down)] {
                    if p >= 1.0 {
                        if up {
                            rules.always_up |= 1 << n;
                        } else {
                            rules.always_down |= 1 << n;
                        }
                    } else if threshold(p) > 0 {
                        rules.random.push(Class {
                            anti_aligned: n,
                            spin_up: Some(up),
                            threshold: threshold(p),
                        });
                    }
                }
            }
        }
        let by_count = |n: u8| {
            rules
                .random
                .iter()
                .find(|c| c.anti_aligned == n && c.spin_up.is_none())
        };
        if rules.always_both == 0b11100
            && rules.always_up == 0
            && rules.always_down == 0
            && rules.random.len() == 2
        {
            if let (Some(one), Some(zero)) = (by_count(1), by_count(0)) {
                rules.ferromagnet = Some([one.threshold, zero.threshold]);
            }
        }
        rules
    }
}

/// Lanes (bit-sliced) where the anti-aligned count equals each n = 0 … 4.
#[inline(always)]
fn count_masks(a0: u64, a1: u64, a2: u64, a3: u64) -> [u64; 5] {
    let s1 = a0 ^ a1;
    let c1 = a0 & a1;
    let s2 = a2 ^ a3;
    let c2 = a2 & a3;
    let n0 = s1 ^ s2; // bit 0 of n
    let carry = s1 & s2;
    let n1 = c1 ^ c2 ^ carry; // bit 1 (c1 + c2 + carry ≤ 2)
    let n2 = c1 & c2; // bit 2: all four anti-aligned
    let low = !n1 & !n2;
    [low & !n0, low & n0, n1 & !n0, n1 & n0, n2]
}

#[inline(always)]
fn select(bits: u8, masks: &[u64; 5]) -> u64 {
    let mut out = 0;
    for (n, m) in masks.iter().enumerate() {
        out |= m & 0u64.wrapping_sub(((bits >> n) & 1) as u64);
    }
    out
}

/// Bit-sliced Bernoulli draws: returns a mask whose lane is set with
/// probability threshold_c / 2^64 for the class c the lane belongs to
/// (`masks[c]`, disjoint). Compares 64 uniforms with the thresholds most
/// significant bit first and stops once every lane is decided.
#[inline(always)]
fn bernoulli_lanes(rng: &mut Rng, masks: &[u64], thresholds: &[u64]) -> u64 {
    let mut undecided = masks.iter().fold(0, |a, m| a | m);
    let mut accept = 0u64;
    let mut bit = 64u32;
    while undecided != 0 && bit > 0 {
        bit -= 1;
        let r = rng.next_u64();
        let mut p = 0u64;
        for (m, t) in masks.iter().zip(thresholds) {
            p |= m & 0u64.wrapping_sub((t >> bit) & 1);
        }
        accept |= undecided & !r & p;
        undecided &= !(r ^ p);
    }
    accept
}

/// A bit-packed L×L configuration with its Metropolis rules and random streams.
#[derive(Clone, Debug)]
pub struct MultiSpinMetropolis {
    model: IsingModel,
    /// Sites per sublattice row, L/2.
    half: usize,
    /// Rows per word, G (1 when L/2 > 32).
    fields: usize,
    /// Words (rows of storage) per sublattice, R = L/G.
    storage_rows: usize,
    /// Words per storage row: ⌈L/2 / 64⌉ (1 when G > 1).
    words: usize,
    /// Valid bits of each row's last word.
    last_mask: u64,
    black: Vec<u64>,
    white: Vec<u64>,
    rules: Rules,
    streams: Vec<Rng>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Colour {
    Black,
    White,
}

impl MultiSpinMetropolis {
    /// A sampler started from `spins` (L×L, row-major, ±1), with random
    /// streams split from `rng`. Requires an even L (the checkerboard
    /// decomposition of an odd torus is not bipartite).
    pub fn new(model: IsingModel, spins: &[i8], rng: &Rng) -> crate::Result<Self> {
        let l = model.size;
        if !l.is_multiple_of(2) {
            return Err(crate::Error::invalid(
                "size",
                l,
                "an even L for checkerboard multi-spin coding",
            ));
        }
        if spins.len() != l * l {
            return Err(crate::Error::ShapeMismatch {
                what: "initial configuration".into(),
                expected: format!("{} spins", l * l),
                found: format!("{}", spins.len()),
            });
        }
        let half = l / 2;
        let fields = (1..=(64 / half).max(1))
            .rev()
            .find(|&g| l.is_multiple_of(g) && (l / g).is_multiple_of(2))
            .unwrap_or(1);
        let storage_rows = l / fields;
        let words = (fields * half).div_ceil(64);
        let tail = (fields * half) % 64;
        let last_mask = if tail == 0 {
            u64::MAX
        } else {
            (1u64 << tail) - 1
        };
        let chunks = storage_rows.div_ceil(ROWS_PER_CHUNK);
        let mut sampler = MultiSpinMetropolis {
            model,
            half,
            fields,
            storage_rows,
            words,
            last_mask,
            black: vec![0; storage_rows * words],
            white: vec![0; storage_rows * words],
            rules: Rules::new(&model),
            streams: rng::streams(rng, chunks),
        };
        sampler.load(spins);
        Ok(sampler)
    }

    /// The model this sampler runs.
    pub fn model(&self) -> &IsingModel {
        &self.model
    }

    fn site(&self, row: usize, j: usize, colour: Colour) -> usize {
        let parity = row % 2;
        match colour {
            Colour::Black => 2 * j + parity,
            Colour::White => 2 * j + 1 - parity,
        }
    }

    /// Where site j of sublattice row `row` lives: (word index, bit).
    fn position(&self, row: usize, j: usize) -> (usize, usize) {
        let (storage_row, field) = (row % self.storage_rows, row / self.storage_rows);
        let bit = field * self.half + j;
        (storage_row * self.words + bit / 64, bit % 64)
    }

    /// Overwrites the configuration with `spins` (L×L, row-major, ±1).
    pub fn load(&mut self, spins: &[i8]) {
        let l = self.model.size;
        self.black.fill(0);
        self.white.fill(0);
        for row in 0..l {
            for colour in [Colour::Black, Colour::White] {
                for j in 0..self.half {
                    if spins[row * l + self.site(row, j, colour)] > 0 {
                        let (word, bit) = self.position(row, j);
                        let target = if colour == Colour::Black {
                            &mut self.black
                        } else {
                            &mut self.white
                        };
                        target[word] |= 1 << bit;
                    }
                }
            }
        }
    }

    /// Writes the configuration into `spins` (L×L, row-major, ±1).
    pub fn store(&self, spins: &mut [i8]) {
        let l = self.model.size;
        for row in 0..l {
            for (colour, source) in [(Colour::Black, &self.black), (Colour::White, &self.white)] {
                for j in 0..self.half {
                    let (word, bit) = self.position(row, j);
                    let up = (source[word] >> bit) & 1 == 1;
                    spins[row * l + self.site(row, j, colour)] = if up { 1 } else { -1 };
                }
            }
        }
    }

    fn geometry(&self) -> Geometry {
        let field_low = if self.fields > 1 {
            (0..self.fields).fold(0u64, |m, f| m | 1 << (f * self.half))
        } else {
            0
        };
        Geometry {
            rows: self.storage_rows,
            half: self.half,
            fields: self.fields,
            words: self.words,
            last_mask: self.last_mask,
            field_low,
            field_high: field_low << (self.half - 1),
        }
    }

    /// One Metropolis sweep: every black site, then every white site.
    pub fn sweep(&mut self) {
        self.half_sweep(Colour::Black);
        self.half_sweep(Colour::White);
    }

    fn half_sweep(&mut self, colour: Colour) {
        let l = self.model.size;
        let words = self.words;
        let geometry = self.geometry();
        let (target, other) = match colour {
            Colour::Black => (&mut self.black, &self.white),
            Colour::White => (&mut self.white, &self.black),
        };
        let rules = &self.rules;
        let chunk_words = ROWS_PER_CHUNK * words;
        let work = |(chunk, (rows, rng)): (usize, (&mut [u64], &mut Rng))| {
            let first_row = chunk * ROWS_PER_CHUNK;
            for (offset, row_words) in rows.chunks_exact_mut(words).enumerate() {
                update_row(
                    &geometry,
                    rules,
                    colour,
                    first_row + offset,
                    row_words,
                    other,
                    rng,
                );
            }
        };
        if l * l >= PARALLEL_MIN_SPINS && rayon::current_num_threads() > 1 {
            target
                .par_chunks_mut(chunk_words)
                .zip(self.streams.par_iter_mut())
                .enumerate()
                .for_each(work);
        } else {
            target
                .chunks_mut(chunk_words)
                .zip(self.streams.iter_mut())
                .enumerate()
                .for_each(work);
        }
    }

    /// Bond sum Σ_⟨ij⟩ s_i s_j (2N bonds) and magnetisation Σ s_i, by
    /// popcounts: every bond joins a black and a white site, so the number of
    /// anti-aligned bonds is the sum over black words of their four XORs.
    pub fn bond_and_spin_sums(&self) -> (i64, i64) {
        let l = self.model.size;
        let geometry = self.geometry();
        let mut anti = 0u64;
        let mut up = 0u64;
        for row in 0..self.storage_rows {
            let neighbours = geometry.row_neighbours(Colour::Black, row, &self.white);
            for k in 0..self.words {
                let mask = if k + 1 == self.words {
                    self.last_mask
                } else {
                    u64::MAX
                };
                let s = self.black[row * self.words + k];
                anti += neighbours
                    .word(k)
                    .iter()
                    .map(|nb| ((s ^ nb) & mask).count_ones() as u64)
                    .sum::<u64>();
                up += (s & mask).count_ones() as u64
                    + (self.white[row * self.words + k] & mask).count_ones() as u64;
            }
        }
        let n = (l * l) as i64;
        (2 * n - 2 * anti as i64, 2 * up as i64 - n)
    }
}

/// The sublattice layout, shared read-only by the chunks of a half sweep.
struct Geometry {
    /// Storage rows per sublattice (R).
    rows: usize,
    half: usize,
    /// Rows per word (G).
    fields: usize,
    words: usize,
    last_mask: u64,
    /// Bits of each field's first and last site (G > 1; 0 otherwise).
    field_low: u64,
    field_high: u64,
}

impl Geometry {
    /// The rows neighbouring `row` of sublattice `colour`, in the other
    /// sublattice `other`.
    #[inline(always)]
    fn row_neighbours<'a>(
        &self,
        colour: Colour,
        row: usize,
        other: &'a [u64],
    ) -> RowNeighbours<'a> {
        let w = self.words;
        let up_row = if row == 0 { self.rows - 1 } else { row - 1 };
        let down_row = if row + 1 == self.rows { 0 } else { row + 1 };
        RowNeighbours {
            fields: (self.fields > 1).then_some(Fields {
                half: self.half as u32,
                rest: ((self.fields - 1) * self.half) as u32,
                low: self.field_low,
                high: self.field_high,
                first: (1u64 << self.half) - 1,
                valid: self.last_mask,
                rotate_up: row == 0,
                rotate_down: row + 1 == self.rows,
            }),
            up: &other[up_row * w..(up_row + 1) * w],
            down: &other[down_row * w..(down_row + 1) * w],
            same: &other[row * w..(row + 1) * w],
            // Black sites on even rows and white sites on odd rows see the
            // other colour's site j − 1; the rest see j + 1.
            from_previous: (colour == Colour::Black) == row.is_multiple_of(2),
            tail_bit: ((self.half - 1) % 64) as u32,
        }
    }
}

/// Several rows per word: the field layout and whether the up or down
/// word is the other end's, rotated by one field.
#[derive(Clone, Copy)]
struct Fields {
    /// Bits per field (L/2) and in the other G − 1 fields.
    half: u32,
    rest: u32,
    /// Each field's first and last bit; the first field; all G fields.
    low: u64,
    high: u64,
    first: u64,
    valid: u64,
    rotate_up: bool,
    rotate_down: bool,
}

/// The three neighbouring rows of one sublattice row.
struct RowNeighbours<'a> {
    fields: Option<Fields>,
    up: &'a [u64],
    down: &'a [u64],
    same: &'a [u64],
    from_previous: bool,
    /// Bit of the last word holding site L/2 − 1.
    tail_bit: u32,
}

impl RowNeighbours<'_> {
    /// The four neighbour words (up, down, same row, same row shifted by one
    /// site, periodic) of word `k`. Relies on the bits past the last site
    /// being zero.
    #[inline(always)]
    fn word(&self, k: usize) -> [u64; 4] {
        if let Some(f) = self.fields {
            // One word of G rows (k = 0).
            let s = self.same[0];
            let mut up = self.up[0];
            if f.rotate_up {
                // Field i ← field i − 1 (field 0 ← field G − 1).
                up = ((up << f.half) | (up >> f.rest)) & f.valid;
            }
            let mut down = self.down[0];
            if f.rotate_down {
                // Field i ← field i + 1 (field G − 1 ← field 0).
                down = (down >> f.half) | ((down & f.first) << f.rest);
            }
            let shifted = if self.from_previous {
                ((s << 1) & !f.low & f.valid) | ((s >> (f.half - 1)) & f.low)
            } else {
                ((s >> 1) & !f.high) | ((s & f.low) << (f.half - 1))
            };
            return [up, down, s, shifted];
        }
        let same = self.same;
        let w = same.len();
        let shifted = if self.from_previous {
            let carry = if k == 0 {
                (same[w - 1] >> self.tail_bit) & 1
            } else {
                same[k - 1] >> 63
            };
            (same[k] << 1) | carry
        } else {
            let carry = if k + 1 == w {
                (same[0] & 1) << self.tail_bit
            } else {
                same[k + 1] << 63
            };
            (same[k] >> 1) | carry
        };
        [self.up[k], self.down[k], same[k], shifted]
    }
}

#[inline(always)]
fn broadcast_bit(value: u64, bit: u32) -> u64 {
    0u64.wrapping_sub((value >> bit) & 1)
}

/// The zero-field ferromagnet's acceptance, specialised: lanes with n ≥ 2
/// anti-aligned neighbours (ΔE ≤ 0) flip; n = 1 flips with probability
/// e^{−4βJ}, n = 0 with e^{−8βJ}, drawn bit-sliced as in [`bernoulli_lanes`].
#[inline(always)]
fn ferromagnet_flips(rng: &mut Rng, counts: &[u64; 5], thresholds: [u64; 2]) -> u64 {
    let (one, zero) = (counts[1], counts[0]);
    let mut undecided = one | zero;
    let mut accept = counts[2] | counts[3] | counts[4];
    let mut bit = 64u32;
    while undecided != 0 && bit > 0 {
        bit -= 1;
        let r = rng.next_u64();
        let p =
            (one & broadcast_bit(thresholds[0], bit)) | (zero & broadcast_bit(thresholds[1], bit));
        accept |= undecided & !r & p;
        undecided &= !(r ^ p);
    }
    accept
}

#[inline(always)]
fn update_row(
    geometry: &Geometry,
    rules: &Rules,
    colour: Colour,
    row: usize,
    row_words: &mut [u64],
    other: &[u64],
    rng: &mut Rng,
) {
    let neighbours = geometry.row_neighbours(colour, row, other);
    let words = geometry.words;
    if let Some(thresholds) = rules.ferromagnet {
        for (k, word) in row_words.iter_mut().enumerate() {
            let s = *word;
            let [a, b, c, d] = neighbours.word(k);
            let counts = count_masks(s ^ a, s ^ b, s ^ c, s ^ d);
            let flip = ferromagnet_flips(rng, &counts, thresholds);
            let valid = if k + 1 == words {
                geometry.last_mask
            } else {
                u64::MAX
            };
            *word = s ^ (flip & valid);
        }
        return;
    }
    let mut masks = [0u64; 10];
    let mut thresholds = [0u64; 10];
    for (t, class) in thresholds.iter_mut().zip(&rules.random) {
        *t = class.threshold;
    }
    let n_random = rules.random.len();
    for (k, word) in row_words.iter_mut().enumerate() {
        let s = *word;
        let [a, b, c, d] = neighbours.word(k);
        let counts = count_masks(s ^ a, s ^ b, s ^ c, s ^ d);
        let mut flip = select(rules.always_both, &counts)
            | (s & select(rules.always_up, &counts))
            | (!s & select(rules.always_down, &counts));
        for (class, mask) in rules.random.iter().zip(masks.iter_mut()) {
            let lanes = counts[class.anti_aligned as usize];
            *mask = match class.spin_up {
                None => lanes,
                Some(true) => lanes & s,
                Some(false) => lanes & !s,
            };
        }
        flip |= bernoulli_lanes(rng, &masks[..n_random], &thresholds[..n_random]);
        let valid = if k + 1 == words {
            geometry.last_mask
        } else {
            u64::MAX
        };
        *word = s ^ (flip & valid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::model::{bond_and_spin_sums, neighbour_sum};

    fn random_spins(l: usize, seed: u64) -> Vec<i8> {
        let mut r = rng::root(seed);
        (0..l * l)
            .map(|_| if r.next_u64() & 1 == 1 { 1 } else { -1 })
            .collect()
    }

    #[test]
    fn pack_unpack_round_trip_and_sums() {
        for l in [
            2, 4, 6, 8, 10, 12, 16, 20, 30, 32, 62, 64, 126, 128, 130, 200, 256,
        ] {
            let spins = random_spins(l, l as u64);
            let model = IsingModel::new(l, 1.0, 0.0, 2.0).unwrap();
            let sampler = MultiSpinMetropolis::new(model, &spins, &rng::root(0)).unwrap();
            let mut back = vec![0i8; l * l];
            sampler.store(&mut back);
            assert_eq!(back, spins, "L = {l}");
            assert_eq!(
                sampler.bond_and_spin_sums(),
                bond_and_spin_sums(&spins, l),
                "L = {l}"
            );
        }
    }

    /// At T → ∞ (β → 0) every proposed flip is accepted with probability
    /// → 1; at zero field and very low T, flips that raise the energy never
    /// happen: each half sweep only flips spins with n ≥ 2 (ΔE ≤ 0), which
    /// can be checked site by site against a byte-per-spin computation.
    #[test]
    fn zero_temperature_half_sweep_matches_byte_rule() {
        for l in [2, 4, 6, 8, 10, 12, 16, 32, 64, 66, 130] {
            let spins = random_spins(l, 99 + l as u64);
            let model = IsingModel::new(l, 1.0, 0.0, 1e-3).unwrap();
            for (colour, parity) in [(Colour::Black, 0), (Colour::White, 1)] {
                let mut sampler = MultiSpinMetropolis::new(model, &spins, &rng::root(1)).unwrap();
                sampler.half_sweep(colour);
                let mut after = vec![0i8; l * l];
                sampler.store(&mut after);
                for row in 0..l {
                    for col in 0..l {
                        let i = row * l + col;
                        let expected = if (row + col) % 2 == parity {
                            let nb = neighbour_sum(&spins, l, row, col);
                            if model.flip_delta(spins[i], nb) <= 0.0 {
                                -spins[i]
                            } else {
                                spins[i]
                            }
                        } else {
                            spins[i]
                        };
                        assert_eq!(after[i], expected, "L={l} site ({row},{col})");
                    }
                }
            }
        }
    }

    /// Same chain for one thread or two.
    #[test]
    fn thread_count_does_not_change_the_chain() {
        let l = 256;
        let spins = random_spins(l, 5);
        let model = IsingModel::new(l, 1.0, 0.1, 2.3).unwrap();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut s = MultiSpinMetropolis::new(model, &spins, &rng::root(3)).unwrap();
                for _ in 0..5 {
                    s.sweep();
                }
                let mut out = vec![0i8; l * l];
                s.store(&mut out);
                out
            })
        };
        assert_eq!(run(1), run(2));
    }

    /// The bit-sliced Bernoulli lanes have the right probabilities.
    #[test]
    fn bernoulli_lanes_frequency() {
        let mut r = rng::root(17);
        let p = [0.3_f64, 0.01];
        let thresholds = [(p[0] * 2f64.powi(64)) as u64, (p[1] * 2f64.powi(64)) as u64];
        let masks = [0x00000000FFFFFFFFu64, 0xFFFFFFFF00000000u64];
        let trials = 20_000;
        let mut hits = [0u64; 2];
        for _ in 0..trials {
            let a = bernoulli_lanes(&mut r, &masks, &thresholds);
            hits[0] += (a & masks[0]).count_ones() as u64;
            hits[1] += (a & masks[1]).count_ones() as u64;
        }
        for c in 0..2 {
            let n = (trials * 32) as f64;
            let z = (hits[c] as f64 - n * p[c]) / (n * p[c] * (1.0 - p[c])).sqrt();
            assert!(z.abs() < 4.5, "class {c}: z = {z}");
        }
    }
}
