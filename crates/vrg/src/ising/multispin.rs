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
//!    Metropolis probability p = min(1, e^{−βΔE}) (Metropolis et al. 1953).
//!    Classes with p = 1 flip outright; for the others a bit-sliced
//!    comparison u < p draws 64 independent uniforms u at once, most
//!    significant bit first, stopping as soon as every lane is decided. The
//!    comparison is exact: a lane undecided after 64 bits has u = p to 64
//!    bits and is rejected.
//! 3. The comparison runs for 8 words at once, each with its own
//!    xoshiro256++ stream (Blackman & Vigna 2021), the 8 generators held as
//!    structure of arrays so that one step for all 8 is a few vector
//!    instructions (AVX-512 or AVX2, chosen at run time, or the portable
//!    build of the same code: the chain is the same bit for bit). The words
//!    of a sublattice do not neighbour each other, so their updates are
//!    independent. All 8 words draw a random word per bit level until the
//!    last of their M random lanes is decided: the maximum of M geometric
//!    variables of mean 2, ≈ log₂ M + 1.3: about 10 levels at T_c, where
//!    most sites have n ≤ 1 (M of the order of 8 × 50).
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
//! 8 random streams, so the chain is the same whatever the number of
//! threads.
//!
//! # References
//! - N. Metropolis, A. W. Rosenbluth, M. N. Rosenbluth, A. H. Teller and
//!   E. Teller, J. Chem. Phys. 21, 1087 (1953).
//! - M. Creutz, L. Jacobs and C. Rebbi, Phys. Rev. D 20, 1915 (1979);
//!   R. Zorn, H. J. Herrmann and C. Rebbi, Comput. Phys. Commun. 23, 337
//!   (1981) (multi-spin coding).
//! - B. Block, P. Virnau and T. Preis, Comput. Phys. Commun. 181, 1549 (2010)
//!   (checkerboard multi-spin coding).
//! - D. Blackman and S. Vigna, "Scrambled linear pseudorandom number
//!   generators", ACM Trans. Math. Softw. 47, 36 (2021) (xoshiro256++ and
//!   its jump polynomial).

use super::model::IsingModel;
use crate::linalg::dispatch::{self, Isa};
use crate::rng::Rng;
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

/// Words updated together: one random stream (xoshiro256++ lane) each.
const LANES: usize = 8;
/// At most 5 counts × 2 spins classes need random numbers.
const MAX_CLASSES: usize = 10;

/// xoshiro256++'s jump polynomial: [`Lanes::jump`] advances a state by 2^128
/// draws (Blackman & Vigna 2021; the constants of `rand_xoshiro`'s `jump`).
const JUMP: [u64; 4] = [
    0x180e_c6d3_3cfd_0aba,
    0xd5a6_1266_f0c9_392c,
    0xa958_2618_e03f_c9aa,
    0x39ab_dc45_29b1_661c,
];

/// [`LANES`] independent xoshiro256++ generators stored as structure of
/// arrays (`s[j][lane]`), so that one [`Lanes::next`] is a handful of
/// vector instructions. Lane streams are xoshiro256++ exactly (checked
/// against `rand_xoshiro` in the tests), each 2^128 draws from the next.
///
/// # References
/// D. Blackman and S. Vigna, "Scrambled linear pseudorandom number
/// generators", ACM Trans. Math. Softw. 47, 36 (2021).
#[derive(Clone, Debug)]
struct Lanes {
    s: [[u64; LANES]; 4],
}

impl Lanes {
    /// One 64-bit output per lane: x = rotl(s₀ + s₃, 23) + s₀, then the
    /// xoshiro256 state transition.
    #[inline(always)]
    fn next(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for i in 0..LANES {
            out[i] = s0[i]
                .wrapping_add(s3[i])
                .rotate_left(23)
                .wrapping_add(s0[i]);
            let t = s1[i] << 17;
            s2[i] ^= s0[i];
            s3[i] ^= s1[i];
            s1[i] ^= s2[i];
            s0[i] ^= s3[i];
            s2[i] ^= t;
            s3[i] = s3[i].rotate_left(45);
        }
        out
    }

    /// One xoshiro256++ step of a single raw state.
    fn step(s: &mut [u64; 4]) {
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
    }

    /// Advances a raw state by 2^128 draws.
    fn jump(s: &mut [u64; 4]) {
        let mut acc = [0u64; 4];
        for j in JUMP {
            for b in 0..64 {
                if (j >> b) & 1 == 1 {
                    for (a, x) in acc.iter_mut().zip(s.iter()) {
                        *a ^= x;
                    }
                }
                Self::step(s);
            }
        }
        *s = acc;
    }

    /// `count` sets of lanes: the raw states x, J x, J² x, … (J the jump,
    /// so no two lanes overlap within 2^128 draws) dealt out in order, with
    /// x the next four words drawn from (a copy of) `rng`.
    fn streams(rng: &Rng, count: usize) -> Vec<Lanes> {
        let mut base = rng.clone();
        let mut state = [0u64; 4];
        for x in state.iter_mut() {
            *x = base.next_u64();
        }
        if state == [0; 4] {
            // xoshiro's one forbidden state (probability 2^-256).
            state[0] = 1;
        }
        (0..count)
            .map(|_| {
                let mut lanes = Lanes { s: [[0; LANES]; 4] };
                for i in 0..LANES {
                    for (component, x) in lanes.s.iter_mut().zip(state) {
                        component[i] = x;
                    }
                    Self::jump(&mut state);
                }
                lanes
            })
            .collect()
    }
}

/// Bit-sliced Bernoulli draws for [`LANES`] words at once, one random
/// stream per word: word w's lane is set with probability threshold_c / 2^64 for the
/// class c it belongs to (`masks[c][w]`, disjoint per word). Bit by bit from
/// the most significant, u < t is decided in a lane where the random bit
/// differs from the threshold's (accept if it is 0); lanes undecided after
/// 64 bits have u = t and are rejected, so the draw is exact. Every word
/// draws a random word at every level until all lanes of all words are
/// decided (≈ log₂ M + 1.3 levels for M random lanes in all).
#[inline(always)]
fn bernoulli_batch<const C: usize>(
    lanes: &mut Lanes,
    masks: &[[u64; LANES]; C],
    thresholds: &[u64; C],
) -> [u64; LANES] {
    let mut undecided = [0u64; LANES];
    for class in masks {
        for (u, m) in undecided.iter_mut().zip(class) {
            *u |= m;
        }
    }
    let mut accept = [0u64; LANES];
    let mut bit = 64u32;
    while bit > 0 && undecided.iter().fold(0, |a, u| a | u) != 0 {
        bit -= 1;
        let r = lanes.next();
        let mut levels = [0u64; C];
        for (l, t) in levels.iter_mut().zip(thresholds) {
            *l = broadcast_bit(*t, bit);
        }
        for i in 0..LANES {
            let mut p = 0;
            for c in 0..C {
                p |= masks[c][i] & levels[c];
            }
            accept[i] |= undecided[i] & !r[i] & p;
            undecided[i] &= !(r[i] ^ p);
        }
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
    /// One set of [`LANES`] random streams per chunk of rows.
    streams: Vec<Lanes>,
    /// Which compiled kernel runs the half sweeps.
    isa: Isa,
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
            streams: Lanes::streams(rng, chunks),
            isa: dispatch::isa(),
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
        let isa = self.isa;
        let chunk_words = ROWS_PER_CHUNK * words;
        let work = |(chunk, (rows, lanes)): (usize, (&mut [u64], &mut Lanes))| {
            let job = Chunk {
                geometry: &geometry,
                rules,
                colour,
                first_row: chunk * ROWS_PER_CHUNK,
                other,
            };
            job.run(isa, rows, lanes);
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

/// One chunk of rows of a half sweep: what [`Chunk::run`] needs besides the
/// rows themselves and their random streams.
struct Chunk<'a> {
    geometry: &'a Geometry,
    rules: &'a Rules,
    colour: Colour,
    /// The chunk's first storage row.
    first_row: usize,
    /// The other sublattice (read only).
    other: &'a [u64],
}

impl Chunk<'_> {
    /// Updates `rows` (the chunk's words) with the kernel compiled for `isa`.
    fn run(&self, isa: Isa, rows: &mut [u64], lanes: &mut Lanes) {
        /// [`Chunk::update`] compiled for AVX-512.
        ///
        /// # Safety
        /// The processor supports AVX-512F, AVX-512DQ, AVX-512VL, AVX2 and
        /// FMA ([`dispatch::isa`] returned [`Isa::Avx512`]).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn avx512(chunk: &Chunk, rows: &mut [u64], lanes: &mut Lanes) {
            chunk.update(rows, lanes)
        }
        /// [`Chunk::update`] compiled for AVX2.
        ///
        /// # Safety
        /// The processor supports AVX2 and FMA ([`dispatch::isa`] returned
        /// [`Isa::Avx2`] or [`Isa::Avx512`]).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(chunk: &Chunk, rows: &mut [u64], lanes: &mut Lanes) {
            chunk.update(rows, lanes)
        }
        match isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `isa` comes from `dispatch::isa` (or, in tests, is
            // checked against it), so the processor has these features.
            Isa::Avx512 => unsafe { avx512(self, rows, lanes) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Isa::Avx2 => unsafe { avx2(self, rows, lanes) },
            _ => self.update(rows, lanes),
        }
    }

    /// Computes every word's anti-aligned counts and Metropolis classes,
    /// [`LANES`] words at a time, draws their random flips with
    /// [`bernoulli_batch`] and applies them. Words of one sublattice do not
    /// neighbour each other, so updating them together is exact.
    #[inline(always)]
    fn update(&self, rows: &mut [u64], lanes: &mut Lanes) {
        match self.rules.ferromagnet {
            Some(thresholds) => self.update_ferromagnet(rows, lanes, thresholds),
            None => self.update_general(rows, lanes),
        }
    }

    /// The zero-field ferromagnet: lanes with n ≥ 2 anti-aligned neighbours
    /// (ΔE ≤ 0) flip; n = 1 flips with probability e^{−4βJ} and n = 0 with
    /// e^{−8βJ} (`thresholds`).
    #[inline(always)]
    fn update_ferromagnet(&self, rows: &mut [u64], lanes: &mut Lanes, thresholds: [u64; 2]) {
        self.update_batched(rows, lanes, &thresholds, |_, counts, always, classes| {
            *always = counts[2] | counts[3] | counts[4];
            *classes = [counts[1], counts[0]];
        });
    }

    /// Any coupling, field and temperature: classes that always flip, and up
    /// to ten (n, s) classes with their own thresholds.
    #[inline(always)]
    fn update_general(&self, rows: &mut [u64], lanes: &mut Lanes) {
        let rules = self.rules;
        let mut thresholds = [0u64; MAX_CLASSES];
        for (t, class) in thresholds.iter_mut().zip(&rules.random) {
            *t = class.threshold;
        }
        self.update_batched(rows, lanes, &thresholds, |s, counts, always, classes| {
            *always = select(rules.always_both, counts)
                | (s & select(rules.always_up, counts))
                | (!s & select(rules.always_down, counts));
            for (class, mask) in rules.random.iter().zip(classes.iter_mut()) {
                let lanes = counts[class.anti_aligned as usize];
                *mask = match class.spin_up {
                    None => lanes,
                    Some(true) => lanes & s,
                    Some(false) => lanes & !s,
                };
            }
        });
    }

    /// The batching shared by both rules: each word's anti-aligned counts,
    /// then `classify(s, counts, always, classes)` sets the lanes that
    /// always flip and the lanes of each of the C random classes (classes
    /// it leaves alone stay 0), [`LANES`] words at a time through
    /// [`bernoulli_batch`] with `thresholds`, then [`apply`].
    #[inline(always)]
    fn update_batched<const C: usize>(
        &self,
        rows: &mut [u64],
        lanes: &mut Lanes,
        thresholds: &[u64; C],
        classify: impl Fn(u64, &[u64; 5], &mut u64, &mut [u64; C]),
    ) {
        let g = self.geometry;
        let words = g.words;
        let mut always = [0u64; LANES];
        let mut classes = [[0u64; LANES]; C];
        let (mut first, mut filled) = (0, 0);
        for offset in 0..rows.len() / words {
            let neighbours = g.row_neighbours(self.colour, self.first_row + offset, self.other);
            for k in 0..words {
                let s = rows[offset * words + k];
                let [a, b, c, d] = neighbours.word(k);
                let counts = count_masks(s ^ a, s ^ b, s ^ c, s ^ d);
                let valid = if k + 1 == words {
                    g.last_mask
                } else {
                    u64::MAX
                };
                let (mut flip, mut random) = (0u64, [0u64; C]);
                classify(s, &counts, &mut flip, &mut random);
                always[filled] = flip & valid;
                for (masks, r) in classes.iter_mut().zip(random) {
                    masks[filled] = r & valid;
                }
                filled += 1;
                if filled == LANES {
                    let flips = bernoulli_batch(lanes, &classes, thresholds);
                    apply(&mut rows[first..first + LANES], &always, &flips);
                    first += LANES;
                    filled = 0;
                }
            }
        }
        if filled > 0 {
            for j in filled..LANES {
                always[j] = 0;
                for masks in classes.iter_mut() {
                    masks[j] = 0;
                }
            }
            let flips = bernoulli_batch(lanes, &classes, thresholds);
            apply(&mut rows[first..first + filled], &always, &flips);
        }
    }
}

/// Flips the lanes of `always` and `flips` in `words` (at most [`LANES`]).
#[inline(always)]
fn apply(words: &mut [u64], always: &[u64; LANES], flips: &[u64; LANES]) {
    for ((w, a), f) in words.iter_mut().zip(always).zip(flips) {
        *w ^= a | f;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::model::{bond_and_spin_sums, neighbour_sum};
    use crate::rng;

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

    /// Every lane of [`Lanes`] is the xoshiro256++ stream of `rand_xoshiro`
    /// started from the same state, lane k of set c jumped 8c + k times.
    #[test]
    fn lanes_are_jumped_xoshiro256plusplus_streams() {
        use rand::SeedableRng;
        let base = rng::root(42);
        let mut copy = base.clone();
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_exact_mut(8) {
            chunk.copy_from_slice(&copy.next_u64().to_le_bytes());
        }
        let mut reference = Rng::from_seed(seed);
        let mut sets = Lanes::streams(&base, 3);
        for set in sets.iter_mut() {
            let mut expected: Vec<Rng> = Vec::new();
            for _ in 0..LANES {
                expected.push(reference.clone());
                reference.jump();
            }
            for _ in 0..50 {
                let draws = set.next();
                for (lane, stream) in expected.iter_mut().enumerate() {
                    assert_eq!(draws[lane], stream.next_u64(), "lane {lane}");
                }
            }
        }
    }

    /// The early-stopping bit-sliced comparison decides exactly u < t: its
    /// result equals the full 64-bit comparison of the uniforms assembled
    /// from the same random words (bit `level` of u from the level-th draw),
    /// thresholds at the edges (0, 1, 2^63, 2^64 − 1) included.
    #[test]
    #[allow(clippy::needless_range_loop)] // words × bits × classes, clearer indexed
    fn bernoulli_batch_equals_full_comparison() {
        let mut r = rng::root(7);
        let mut lanes = Lanes::streams(&r, 1).pop().unwrap();
        let edges = [
            0u64,
            1,
            1 << 63,
            u64::MAX,
            u64::MAX - 1,
            0x0000_0001_0000_0000,
        ];
        for trial in 0..2000 {
            let thresholds: [u64; 3] = std::array::from_fn(|_| {
                if trial % 4 == 0 {
                    edges[(r.next_u64() % edges.len() as u64) as usize]
                } else {
                    // Thresholds with long runs of equal bits too.
                    r.next_u64() >> (r.next_u64() % 64)
                }
            });
            // Disjoint class masks per word; some lanes in no class.
            let mut masks = [[0u64; LANES]; 3];
            for w in 0..LANES {
                let (x, y) = (r.next_u64(), r.next_u64());
                masks[0][w] = x & y;
                masks[1][w] = x & !y;
                masks[2][w] = !x & y & r.next_u64();
            }
            let mut full = lanes.clone();
            let got = bernoulli_batch(&mut lanes, &masks, &thresholds);
            let mut u = [[0u64; 64]; LANES];
            for level in 0..64 {
                let draw = full.next();
                for w in 0..LANES {
                    for (b, ub) in u[w].iter_mut().enumerate() {
                        *ub |= ((draw[w] >> b) & 1) << (63 - level);
                    }
                }
            }
            for w in 0..LANES {
                let mut expected = 0u64;
                for b in 0..64 {
                    for c in 0..3 {
                        if (masks[c][w] >> b) & 1 == 1 && u[w][b] < thresholds[c] {
                            expected |= 1 << b;
                        }
                    }
                }
                assert_eq!(got[w], expected, "trial {trial} word {w}");
            }
        }
    }

    /// The bit-sliced Bernoulli lanes have the right probabilities in every
    /// word of a batch (z-scores against the binomial error bars).
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn bernoulli_lanes_frequency() {
        let mut lanes = Lanes::streams(&rng::root(17), 1).pop().unwrap();
        let p = [0.3_f64, 0.01];
        let thresholds = [(p[0] * 2f64.powi(64)) as u64, (p[1] * 2f64.powi(64)) as u64];
        let masks = [
            [0x0000_0000_FFFF_FFFFu64; LANES],
            [0xFFFF_FFFF_0000_0000u64; LANES],
        ];
        let trials = 5_000;
        let mut hits = [[0u64; LANES]; 2];
        for _ in 0..trials {
            let a = bernoulli_batch(&mut lanes, &masks, &thresholds);
            for c in 0..2 {
                for w in 0..LANES {
                    hits[c][w] += (a[w] & masks[c][w]).count_ones() as u64;
                }
            }
        }
        let n = (trials * 32) as f64;
        for c in 0..2 {
            for w in 0..LANES {
                let z = (hits[c][w] as f64 - n * p[c]) / (n * p[c] * (1.0 - p[c])).sqrt();
                assert!(z.abs() < 4.5, "class {c} word {w}: z = {z}");
            }
        }
    }

    /// The AVX-512, AVX2 and portable kernels give the same chain bit for
    /// bit (those the processor supports), for the zero-field ferromagnet
    /// and for the general rules, across the word layouts.
    #[test]
    fn kernels_agree_bit_for_bit() {
        let host = dispatch::isa();
        let kernels: Vec<Isa> = [Isa::Generic, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|&k| match k {
                Isa::Generic => true,
                Isa::Avx2 => host != Isa::Generic,
                Isa::Avx512 => host == Isa::Avx512,
            })
            .collect();
        for l in [4, 8, 12, 64, 66, 130, 256] {
            for (field, t) in [(0.0, 2.27), (0.2, 2.5), (0.0, 5.0)] {
                let spins = random_spins(l, 11 + l as u64);
                let model = IsingModel::new(l, 1.0, field, t).unwrap();
                let chains: Vec<Vec<i8>> = kernels
                    .iter()
                    .map(|&isa| {
                        let mut s = MultiSpinMetropolis::new(model, &spins, &rng::root(9)).unwrap();
                        s.isa = isa;
                        for _ in 0..4 {
                            s.sweep();
                        }
                        let mut out = vec![0i8; l * l];
                        s.store(&mut out);
                        out
                    })
                    .collect();
                for (k, chain) in kernels.iter().zip(&chains) {
                    assert_eq!(chain, &chains[0], "L = {l}, h = {field}: {k:?} vs Generic");
                }
                assert_ne!(chains[0], spins, "L = {l}: the chain moved");
            }
        }
    }
}
