//! [`super::powers`]' products Y_p = X_p · B^{∘p} (p = 1 … P ≤ 3) with B's
//! powers and the rows of X rounded to bfloat16 and the sums kept in f32:
//! the TAP sweeps of EMF training (`train::emf`), where a fixed point is
//! approached a few sweeps at a time and the rounding (a relative 2⁻⁸ per
//! factor) is far below a sweep's own change of the magnetisations.
//!
//! AVX512-BF16's dot-product instruction multiplies pairs of bfloat16 and
//! adds both products to an f32 lane: one instruction does the work of two
//! f32 fused multiply-adds. So B's powers are packed once per call of
//! [`PackedPowers::pack`] (once per weight update, for W and for Wᵀ) with
//! the rows taken in pairs: word j of pair q holds B_{2q, j}^p in its low
//! half and B_{2q+1, j}^p in its high half, and the packed matrix is laid
//! out tile by tile (32 columns), so that a tile's words are contiguous.
//! X's rows are packed the same way, a pair of neighbouring elements per
//! word, and each word is broadcast against a tile of B.
//!
//! Where the processor lacks AVX512-BF16 a portable loop forms the same
//! sums from the same rounded values (products of two bfloat16 are exact in
//! f32, so the two paths differ only in the order and rounding of the
//! additions); callers that only want speed use [`super::powers`] there.

use super::disjoint::DisjointMut;
use super::dispatch::{isa, multiversion, Isa};
use super::powers::MAX_POWER;
#[cfg(target_arch = "x86_64")]
use super::powers::{group_rows, lane_mask, store_group, with_group_shape};
use super::transpose::transpose_strided;
use super::PARALLEL_MULTIPLY_ADDS;
use rayon::prelude::*;

/// Columns of B per tile (two vectors of 16 f32 sums).
const TILE: usize = 32;

/// Packed words from which [`PackedPowers::pack`] splits its tiles among
/// threads (the packing is a pass over memory, worth splitting sooner
/// than a product).
const PARALLEL_WORDS: usize = 1 << 18;

/// Whether the processor has AVX512-BF16 (with AVX-512F and DQ), detected
/// once: where it does not, [`PackedPowers::rows_times`] takes the portable
/// loop.
pub fn available() -> bool {
    use std::sync::OnceLock;
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            isa() == Isa::Avx512 && std::is_x86_feature_detected!("avx512bf16")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// The bfloat16 nearest to `x` (ties to even), as its 16 bits: the high
/// half of x's f32 bits after rounding the low half away. Finite inputs
/// only (the weights and magnetisations; a NaN's payload is not kept).
#[inline(always)]
pub fn bf16_bits(x: f32) -> u32 {
    let bits = x.to_bits();
    let rounding = 0x7fff + ((bits >> 16) & 1);
    bits.wrapping_add(rounding) >> 16
}

/// The f32 value of bfloat16 bits.
#[inline(always)]
pub fn bf16_value(bits: u32) -> f32 {
    f32::from_bits(bits << 16)
}

/// The word holding the bfloat16 of `low` and `high` (low half first, the
/// order of the dot-product instruction's pairs).
#[inline(always)]
fn pair_word(low: f32, high: f32) -> u32 {
    bf16_bits(low) | (bf16_bits(high) << 16)
}

/// B's element-wise powers B^{∘1} … B^{∘P} (k × n) rounded to bfloat16 and
/// packed by pairs of rows and tiles of 32 columns (the module's layout).
#[derive(Clone, Debug, Default)]
pub struct PackedPowers {
    /// Word (t, q, p, lane) at ((t·pairs + q)·P + p)·32 + lane: rows 2q and
    /// 2q + 1 of B^{∘(p+1)} in column 32t + lane (zero past k or n).
    words: Vec<u32>,
    powers: usize,
    k: usize,
    n: usize,
}

impl PackedPowers {
    /// Checks B (`k × n` at row stride `b_stride`) and the power count
    /// for `caller`, and sizes the buffer for the packed powers of a
    /// `rows × columns` matrix (B or Bᵀ); returns the words per tile.
    fn reshape(
        &mut self,
        caller: &str,
        b: &[f32],
        b_stride: usize,
        (k, n): (usize, usize),
        powers: usize,
        (rows, columns): (usize, usize),
    ) -> usize {
        assert!(
            (1..=MAX_POWER).contains(&powers),
            "PackedPowers::{caller}: power {powers} (1 to {MAX_POWER})"
        );
        assert!(
            b_stride >= n,
            "PackedPowers::{caller}: stride {b_stride} < {n}"
        );
        if k > 0 && n > 0 {
            assert!(
                b.len() >= (k - 1) * b_stride + n,
                "PackedPowers::{caller}: B too short"
            );
        }
        self.powers = powers;
        self.k = rows;
        self.n = columns;
        let tile_words = rows.div_ceil(2) * powers * TILE;
        self.words.resize(columns.div_ceil(TILE) * tile_words, 0);
        tile_words
    }

    /// Packs the powers 1 … `powers` (1 ≤ P ≤ [`MAX_POWER`]) of B,
    /// `k × n`, row-major with row stride `b_stride` ≥ n, reusing this
    /// buffer.
    ///
    /// Panics if P is out of range or B is too short for its shape.
    pub fn pack(&mut self, b: &[f32], b_stride: usize, k: usize, n: usize, powers: usize) {
        let tile_words = self.reshape("pack", b, b_stride, (k, n), powers, (k, n));
        if tile_words == 0 {
            return;
        }
        let pack = |(t, words): (usize, &mut [u32])| {
            #[cfg(target_arch = "x86_64")]
            if isa() == Isa::Avx512 && (t + 1) * TILE <= n {
                // SAFETY: the processor has AVX-512F; tile t is whole
                // (32 columns of each of B's k rows exist) and `words`
                // holds its pairs·P·32 words.
                unsafe { pack_whole_tile(b, b_stride, k, t * TILE, powers, words) };
                return;
            }
            pack_tile(b, b_stride, k, n, t, words);
        };
        if self.words.len() >= PARALLEL_WORDS {
            self.words
                .par_chunks_mut(tile_words)
                .enumerate()
                .for_each(pack);
        } else {
            self.words.chunks_mut(tile_words).enumerate().for_each(pack);
        }
    }

    /// Packs the powers 1 … `powers` of Bᵀ, where B is `k × n`, row-major
    /// with row stride `b_stride` ≥ n: the same words as
    /// [`pack`](Self::pack) of the `n × k` transpose, without storing the
    /// transpose. Each tile of Bᵀ (32 of its columns, 32 rows of B) is
    /// transposed into a block of `n × 32` floats, which stays in cache
    /// while it is packed; so B is read once, and the transpose is split
    /// among threads with the tiles.
    ///
    /// Panics if P is out of range or B is too short for its shape.
    pub fn pack_transposed(
        &mut self,
        b: &[f32],
        b_stride: usize,
        k: usize,
        n: usize,
        powers: usize,
    ) {
        // Bᵀ is n × k: n rows (taken in pairs), k columns (in tiles).
        let tile_words = self.reshape("pack_transposed", b, b_stride, (k, n), powers, (n, k));
        if tile_words == 0 {
            return;
        }
        let pack = |block: &mut Vec<f32>, (t, words): (usize, &mut [u32])| {
            // Bᵀ's columns 32t.. 32t + width are B's rows: their transpose
            // is the tile's n rows of 32 columns, zero past the width.
            let width = (k - t * TILE).min(TILE);
            block.resize(n * TILE, 0.0);
            if width < TILE {
                block.iter_mut().for_each(|x| *x = 0.0);
            }
            transpose_strided(&b[t * TILE * b_stride..], b_stride, width, n, block, TILE);
            #[cfg(target_arch = "x86_64")]
            if isa() == Isa::Avx512 {
                // SAFETY: the processor has AVX-512F; the block holds n rows
                // of 32 columns and `words` the tile's pairs·P·32 words.
                unsafe { pack_whole_tile(block, TILE, n, 0, powers, words) };
                return;
            }
            pack_tile(block, TILE, n, TILE, 0, words);
        };
        if self.words.len() >= PARALLEL_WORDS {
            self.words
                .par_chunks_mut(tile_words)
                .enumerate()
                .for_each_init(Vec::new, pack);
        } else {
            let mut block = Vec::new();
            self.words
                .chunks_mut(tile_words)
                .enumerate()
                .for_each(|tile| pack(&mut block, tile));
        }
    }

    /// Y_p ← X_p · B^{∘p} for p = 1 … P (the packed powers): `xs[p − 1]`
    /// is `rows × k` and `ys[p − 1]` is `rows × n`, row-major and
    /// contiguous. X is rounded to bfloat16 like B; each product of two
    /// bfloat16 is exact in f32 and the sums are f32, over i in order
    /// (two terms per step on AVX512-BF16).
    ///
    /// `x_words` is scratch for X's rows packed by pairs (word (p, r, q) at
    /// (p·rows + r)·pairs + q), kept by the caller so that several threads
    /// can multiply by one packed B.
    ///
    /// Panics unless there are P operands and results of those sizes.
    pub fn rows_times(
        &self,
        xs: &[&[f32]],
        rows: usize,
        ys: &mut [&mut [f32]],
        x_words: &mut Vec<u32>,
    ) {
        let (powers, k, n) = (self.powers, self.k, self.n);
        assert!(
            xs.len() == powers && ys.len() == powers,
            "PackedPowers::rows_times: {} left operands and {} results for {powers} powers",
            xs.len(),
            ys.len()
        );
        for (x, y) in xs.iter().zip(ys.iter()) {
            assert!(x.len() >= rows * k, "PackedPowers::rows_times: X too short");
            assert!(y.len() >= rows * n, "PackedPowers::rows_times: Y too short");
        }
        if rows == 0 || n == 0 {
            return;
        }
        let pairs = k.div_ceil(2);
        x_words.resize(powers * rows * pairs, 0);
        // (With k = 0 there is nothing to pack, and every sum is empty.)
        let row_words = (rows * pairs).max(1);
        for (x, words) in xs.iter().zip(x_words.chunks_exact_mut(row_words)) {
            for (row, words) in x[..rows * k]
                .chunks_exact(k.max(1))
                .zip(words.chunks_exact_mut(pairs.max(1)))
            {
                pack_row(row, words);
            }
        }
        let tiles = n.div_ceil(TILE);
        #[cfg(target_arch = "x86_64")]
        if available() {
            let y: [DisjointMut<f32>; MAX_POWER] =
                std::array::from_fn(|p| DisjointMut::new(ys[p.min(powers - 1)]));
            let x_words = &x_words[..];
            let tile = |t: usize| {
                // SAFETY: the processor has AVX512-BF16 (available()); the
                // sizes were checked above; tile t writes only columns
                // 32t.. 32t + 32 of each Y_p, which no other task writes.
                unsafe { column_tile(self, x_words, rows, &y, t) }
            };
            if rows * k * n * powers >= PARALLEL_MULTIPLY_ADDS {
                (0..tiles).into_par_iter().for_each(tile);
            } else {
                (0..tiles).for_each(tile);
            }
            return;
        }
        self.rows_times_portable(x_words, rows, ys);
    }

    /// The portable loop over the packed words (the same rounded factors
    /// as the AVX512-BF16 kernel; f32 products, exact, and sums).
    fn rows_times_portable(&self, x_words: &[u32], rows: usize, ys: &mut [&mut [f32]]) {
        let (powers, k, n) = (self.powers, self.k, self.n);
        let pairs = k.div_ceil(2);
        for (p, y) in ys.iter_mut().enumerate() {
            for r in 0..rows {
                let x = &x_words[(p * rows + r) * pairs..][..pairs];
                for j in 0..n {
                    let (t, lane) = (j / TILE, j % TILE);
                    let mut sum = 0.0f32;
                    for (q, &xq) in x.iter().enumerate() {
                        let bq = self.words[((t * pairs + q) * powers + p) * TILE + lane];
                        sum += bf16_value(xq & 0xffff) * bf16_value(bq & 0xffff);
                        sum += bf16_value(xq >> 16) * bf16_value(bq >> 16);
                    }
                    y[r * n + j] = sum;
                }
            }
        }
    }
}

multiversion! {
    /// One row packed by pairs of neighbouring elements (the last paired
    /// with zero when the row is odd): `words` holds ⌈len/2⌉ words.
    pub fn pack_row(row: &[f32], words: &mut [u32]) {
        let whole = row.len() / 2;
        for (word, pair) in words[..whole].iter_mut().zip(row.chunks_exact(2)) {
            *word = pair_word(pair[0], pair[1]);
        }
        if row.len() % 2 == 1 {
            words[whole] = pair_word(row[row.len() - 1], 0.0);
        }
    }
}

multiversion! {
    /// The words of tile `t` (columns 32t.. 32t + 32) of B's packed powers
    /// B^{∘1} … B^{∘P} (P = `words.len()` / (32·pairs)), each power formed
    /// in f32 and then rounded; B is `k × n` with row stride `b_stride`.
    pub fn pack_tile(b: &[f32], b_stride: usize, k: usize, n: usize, t: usize, words: &mut [u32]) {
        let j0 = t * TILE;
        let width = (n - j0).min(TILE);
        let powers = words.len() / (k.div_ceil(2) * TILE);
        // Row i's 32 columns of the tile (zero past k and n).
        let tile_row = |i: usize| -> [f32; TILE] {
            let mut row = [0.0f32; TILE];
            if i < k {
                let at = i * b_stride + j0;
                for (x, &v) in row.iter_mut().zip(&b[at..at + width]) {
                    *x = v;
                }
            }
            row
        };
        for (q, pair) in words.chunks_exact_mut(powers * TILE).enumerate() {
            let rows = [tile_row(2 * q), tile_row(2 * q + 1)];
            let mut power = rows;
            for (p, out) in pair.chunks_exact_mut(TILE).enumerate() {
                if p > 0 {
                    for (h, power) in power.iter_mut().enumerate() {
                        for (x, &w) in power.iter_mut().zip(&rows[h]) {
                            *x *= w;
                        }
                    }
                }
                for ((word, &low), &high) in out.iter_mut().zip(&power[0]).zip(&power[1]) {
                    *word = pair_word(low, high);
                }
            }
        }
    }
}

/// [`pack_tile`] for a whole tile (columns j0.. j0 + 32 of every row) with
/// AVX-512: the powers formed in f32 vectors and rounded to bfloat16 with
/// the same integer arithmetic as [`bf16_bits`].
///
/// # Safety
/// The processor supports AVX-512F; rows 0.. k of B (stride `b_stride`)
/// hold columns j0.. j0 + 32; `words` holds ⌈k/2⌉·P·32 words.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pack_whole_tile(
    b: &[f32],
    b_stride: usize,
    k: usize,
    j0: usize,
    powers: usize,
    words: &mut [u32],
) {
    use std::arch::x86_64::*;
    let pairs = k.div_ceil(2);
    assert!(
        words.len() >= pairs * powers * TILE
            && (k == 0 || b.len() >= (k - 1) * b_stride + j0 + TILE),
        "pack_whole_tile: sizes"
    );
    // The bfloat16 bits of each lane, in the low 16 bits.
    let round = |x: __m512| -> __m512i {
        let bits = _mm512_castps_si512(x);
        let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(bits), _mm512_set1_epi32(1));
        let bias = _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff));
        _mm512_srli_epi32::<16>(_mm512_add_epi32(bits, bias))
    };
    for q in 0..pairs {
        // SAFETY: rows 2q and (if it exists) 2q + 1, columns j0.. j0 + 32;
        // the pair's P·32 words (asserted above).
        unsafe {
            let load = |i: usize| -> [__m512; 2] {
                if i < k {
                    let row = b.as_ptr().add(i * b_stride + j0);
                    [_mm512_loadu_ps(row), _mm512_loadu_ps(row.add(16))]
                } else {
                    [_mm512_setzero_ps(); 2]
                }
            };
            let rows = [load(2 * q), load(2 * q + 1)];
            let mut power = rows;
            let out = words.as_mut_ptr().add(q * powers * TILE);
            for p in 0..powers {
                for h in 0..2 {
                    if p > 0 {
                        power[0][h] = _mm512_mul_ps(power[0][h], rows[0][h]);
                        power[1][h] = _mm512_mul_ps(power[1][h], rows[1][h]);
                    }
                    let word = _mm512_or_si512(
                        round(power[0][h]),
                        _mm512_slli_epi32::<16>(round(power[1][h])),
                    );
                    _mm512_storeu_si512(out.add(p * TILE + 16 * h).cast(), word);
                }
            }
        }
    }
}

/// Columns 32t.. 32t + 32 (fewer at the right edge) of every Y_p, in
/// groups of [`group_rows`] rows.
///
/// # Safety
/// The processor supports AVX512-BF16, AVX-512F; `packed` holds B's words
/// and `x_words` X's `rows` packed rows; `y[p]` points at `rows × n` floats that no
/// other task writes in these columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn column_tile(
    packed: &PackedPowers,
    x_words: &[u32],
    rows: usize,
    y: &[DisjointMut<f32>; MAX_POWER],
    t: usize,
) {
    let (powers, n) = (packed.powers, packed.n);
    let pairs = packed.k.div_ceil(2);
    let j0 = t * TILE;
    let width = (n - j0).min(TILE);
    let masks = [
        lane_mask(width.min(16)),
        lane_mask(width.saturating_sub(16)),
    ];
    let b = packed.words[t * pairs * powers * TILE..].as_ptr();
    let step = group_rows(powers);
    let mut r0 = 0;
    while r0 < rows {
        let live = (rows - r0).min(step);
        let at = Group {
            x: std::array::from_fn(|p| x_words[(p.min(powers - 1) * rows + r0) * pairs..].as_ptr()),
            b,
            y: std::array::from_fn(|p| y[p].wrapping_add(r0 * n + j0).get()),
            masks,
            pairs,
            n,
        };
        // SAFETY: the group's rows r0.. r0 + live exist; the rest as the
        // caller promised.
        unsafe { with_group_shape!(powers, live, group_kernel(&at)) }
        r0 += live;
    }
}

/// Where one group of rows starts: X_p's first packed row, the tile's
/// words, Y_p's (first row, first column); the tile's lane masks, the
/// pairs per row and Y's row length.
struct Group {
    x: [*const u32; MAX_POWER],
    b: *const u32,
    y: [*mut f32; MAX_POWER],
    masks: [u16; 2],
    pairs: usize,
    n: usize,
}

/// Y_p[r, tile] = Σ_q X_p[r, pair q] · B^{∘p}[pair q, tile] for the
/// group's R rows, two terms per dot-product instruction.
///
/// # Safety
/// The processor supports AVX512-BF16 and AVX-512F; rows 0.. R of each
/// packed X_p (`pairs` words each) exist from the group's pointers, the
/// tile's `pairs · P · 32` words from `at.b`, and rows 0.. R of each Y_p
/// (stride n) in the masked lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
// Each shape compiled on its own, not inlined into the dispatch of
// [`column_tile`]: its 24 sums then get registers of their own.
#[inline(never)]
unsafe fn group_kernel<const P: usize, const R: usize>(at: &Group) {
    use std::arch::x86_64::*;
    let mut acc = [[[_mm512_setzero_ps(); 2]; P]; R];
    for q in 0..at.pairs {
        // SAFETY: pair q's P·32 words of the tile; word q of each packed
        // row; see the function's contract.
        unsafe {
            let words = at.b.add(q * P * TILE);
            let mut power = [[_mm512_setzero_si512(); 2]; P];
            for (p, power) in power.iter_mut().enumerate() {
                for (h, half) in power.iter_mut().enumerate() {
                    *half = _mm512_loadu_si512(words.add((p * 2 + h) * 16).cast());
                }
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                for (p, acc) in acc.iter_mut().enumerate() {
                    let s = _mm512_set1_epi32(*at.x[p].add(r * at.pairs + q) as i32);
                    for h in 0..2 {
                        acc[h] = _mm512_dpbf16_ps(
                            acc[h],
                            std::mem::transmute::<__m512i, __m512bh>(s),
                            std::mem::transmute::<__m512i, __m512bh>(power[p][h]),
                        );
                    }
                }
            }
        }
    }
    // SAFETY: rows 0.. R of each Y_p exist in the masked lanes (the
    // function's contract).
    unsafe { store_group!(acc, at.y, at.n, at.masks) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::powers::tests::{check_against_f64_sums, refs_mut, Case};
    use rand::{Rng, SeedableRng};

    /// Σ_i bf(X[r, i]) bf(B[i, j]^(p+1)) in f64, with bf the rounding to
    /// bfloat16 and the power formed in f32 (as the packing does).
    fn reference(case: &Case, p: usize) -> Vec<f64> {
        let (rows, k, n, stride) = (case.rows, case.k, case.n, case.stride);
        let (x, b) = (&case.xs[p], &case.b);
        let bf = |v: f32| f64::from(bf16_value(bf16_bits(v)));
        let mut y = vec![0.0f64; rows * n];
        for r in 0..rows {
            for i in 0..k {
                for j in 0..n {
                    let w = b[i * stride + j];
                    let power = (0..p).fold(w, |acc, _| acc * w);
                    y[r * n + j] += bf(x[r * k + i]) * bf(power);
                }
            }
        }
        y
    }

    #[test]
    fn empty_sums_are_zero() {
        let mut packed = PackedPowers::default();
        packed.pack(&[], 3, 0, 3, 2);
        let x: [f32; 0] = [];
        let (mut y1, mut y2) = (vec![f32::NAN; 6], vec![f32::NAN; 6]);
        packed.rows_times(&[&x, &x], 2, &mut [&mut y1, &mut y2], &mut Vec::new());
        assert!(y1.iter().chain(&y2).all(|&v| v == 0.0));
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: to even, 1.
        assert_eq!(bf16_value(bf16_bits(1.0 + 2f32.powi(-8))), 1.0);
        // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to even, up.
        assert_eq!(
            bf16_value(bf16_bits(1.0 + 3.0 * 2f32.powi(-8))),
            1.0 + 2f32.powi(-6)
        );
        assert_eq!(bf16_value(bf16_bits(-0.75)), -0.75);
        // Everything else: within half a unit in the last place, 2⁻⁸ of v.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..10_000 {
            let v: f32 = rng.random_range(-4.0..4.0);
            let r = bf16_value(bf16_bits(v));
            assert!((r - v).abs() <= v.abs() * 2f32.powi(-8), "{v} → {r}");
        }
    }

    /// Both paths against f64 sums of the rounded factors (the sums of k
    /// exact products, in f32).
    #[test]
    fn packed_powers_match_f64_sums_of_the_rounded_factors() {
        check_against_f64_sums(
            19,
            |case| {
                let mut packed = PackedPowers::default();
                packed.pack(&case.b, case.stride, case.k, case.n, case.powers);
                let (mut fast, mut portable) = (case.outputs(), case.outputs());
                let mut x_words = Vec::new();
                packed.rows_times(
                    &case.x_refs(),
                    case.rows,
                    &mut refs_mut(&mut fast),
                    &mut x_words,
                );
                packed.rows_times_portable(&x_words, case.rows, &mut refs_mut(&mut portable));
                [fast, portable]
            },
            reference,
        );
    }

    /// `pack_transposed` of B gives the words `pack` gives for an explicit
    /// Bᵀ, bit for bit: shapes with partial tiles and odd row counts, a
    /// stride past n, each power count, and enough tiles to split among
    /// threads.
    #[test]
    fn packing_the_transpose_matches_packing_an_explicit_transpose() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        for (k, n, stride) in [
            (1, 1, 1),
            (5, 3, 4),
            (33, 7, 9),
            (64, 31, 31),
            (70, 45, 50),
            (1100, 300, 301),
        ] {
            let b: Vec<f32> = (0..k * stride)
                .map(|_| rng.random_range(-1.5f32..1.5))
                .collect();
            let mut bt = vec![0.0f32; n * k];
            for i in 0..k {
                for j in 0..n {
                    bt[j * k + i] = b[i * stride + j];
                }
            }
            for powers in 1..=MAX_POWER {
                let (mut direct, mut explicit) = (PackedPowers::default(), PackedPowers::default());
                direct.pack_transposed(&b, stride, k, n, powers);
                explicit.pack(&bt, k, n, k, powers);
                assert_eq!((direct.k, direct.n, direct.powers), (n, k, powers));
                assert!(
                    direct.words == explicit.words,
                    "k {k}, n {n}, stride {stride}, P {powers}: the packed words differ"
                );
            }
        }
    }
}
