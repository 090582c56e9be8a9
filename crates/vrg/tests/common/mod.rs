//! Helpers shared by the library's test files (each includes this module
//! and uses its own subset).
#![allow(dead_code)]

use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};

mod npy_files;
#[allow(unused_imports)] // not every test file writes .npy files
pub use npy_files::write_npy;
mod dir_files;
#[allow(unused_imports)] // not every test file lists a directory
pub use dir_files::files;
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

/// ln Σ_k e^{x_k}, two passes (the maximum first, so no term overflows).
pub fn log_sum_exp(values: impl IntoIterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.into_iter().collect();
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + values.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

/// The two values of a discrete unit, (off, on): (−1, 1) for spins, (0, 1)
/// for binary units.
pub fn unit_values(spin: bool) -> (f32, f32) {
    if spin {
        (-1.0, 1.0)
    } else {
        (0.0, 1.0)
    }
}

/// All 2ⁿ configurations of n units with values (off, on), flattened
/// row-major (shape 2ⁿ × n); bit i of the row index sets unit i.
pub fn all_states((off, on): (f32, f32), n: usize) -> Vec<f32> {
    let mut states = Vec::with_capacity(n << n);
    for bits in 0..1usize << n {
        for i in 0..n {
            states.push(if bits >> i & 1 == 1 { on } else { off });
        }
    }
    states
}

/// Fails unless `found` is finite and within `tolerance` of `expected`,
/// relative to max(|expected|, 1).
pub fn assert_close(found: f64, expected: f64, tolerance: f64, context: &str) {
    let error = (found - expected).abs();
    assert!(
        found.is_finite() && error <= tolerance * expected.abs().max(1.0),
        "{context}: found {found}, expected {expected} (difference {error:e})"
    );
}

/// Fails unless |a − b| ≤ `tolerance` · max(|a|, |b|, 1).
pub fn assert_close_symmetric(a: f64, b: f64, tolerance: f64, what: &str) {
    let scale = a.abs().max(b.abs()).max(1.0);
    assert!(
        (a - b).abs() <= tolerance * scale,
        "{what}: {a} vs {b} (difference {:e})",
        (a - b).abs()
    );
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

/// The MNIST subset shipped with the tests (the first 2000 training and 1000
/// test rows of the original IDX files; see its README.md).
pub const MNIST_SUBSET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mnist-subset");

/// `name` (e.g. `train-images-idx3-ubyte.gz`) in [`MNIST_SUBSET`].
pub fn mnist_subset(name: &str) -> std::path::PathBuf {
    std::path::Path::new(MNIST_SUBSET).join(name)
}

/// MD5 (RFC 1321) of `bytes` as 32 lower-case hex digits: enough to check
/// test data against the digests in its README, with no extra dependency.
pub fn md5_hex(bytes: &[u8]) -> String {
    const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    // K[i] = floor(2³² |sin(i + 1)|).
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut message = bytes.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((bytes.len() as u64).wrapping_mul(8)).to_le_bytes());
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for block in message.chunks(64) {
        let m: Vec<u32> = block
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(k[i])
                .wrapping_add(m[g])
                .rotate_left(S[(i / 16) * 4 + i % 4]);
            (a, d, c) = (d, c, b);
            b = b.wrapping_add(rotated);
        }
        for (s, x) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(x);
        }
    }
    state
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The uncompressed bytes of a gzipped file.
pub fn gunzip(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// `bytes` gzipped at compression `level`.
pub fn gzip(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), level);
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A version 1.0 `.npy` file with header dict `dict` and raw `data`.
pub fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// An IDX file of unsigned bytes (type code 0x08) with dimensions `shape`.
pub fn idx_bytes(shape: &[u32], values: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, shape.len() as u8];
    for d in shape {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(values);
    out
}

/// `f` run on a fresh rayon pool of `threads` threads.
pub fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}
