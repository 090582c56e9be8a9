//! Numerical kernels: f32 matrix products (a hand-blocked AVX-512 kernel,
//! [`sgemm`], or matrixmultiply on other processors), f64 products
//! (matrixmultiply), and vectorised element-wise functions (sigmoid, tanh,
//! Bernoulli draws) with run-time dispatch to AVX-512 or AVX2 where the
//! processor has them.
//!
//! All matrices are row-major slices. Products below
//! [`PARALLEL_MULTIPLY_ADDS`] run on the calling thread: splitting them
//! costs more than it saves (DESIGN.md, "Performance model").
//!
//! faer 0.24 was the first choice for the products it does not hand-write;
//! its x86 kernels (private-gemm-x86 0.1.22) write past the end of the
//! destination for some shapes (e.g. 9 × 64 times 64 × 40, in f32 and f64,
//! found by valgrind), so vrg uses matrixmultiply there instead.
//!
//! The modules, by role:
//! - [`product`]: the product entry points ([`gemm`], [`gemm_then`],
//!   [`gemm_f64`]) and the matrixmultiply fallback;
//! - [`sgemm`]: the AVX-512 f32 kernel; [`sparse`]: products with a sparse
//!   left operand; [`aligned`]: padded row storage for them;
//! - `dispatch`: run-time processor detection and the `multiversion!` macro
//!   the element-wise kernels are built with;
//! - [`maths`]: element-wise e^x, σ, tanh, softplus, ln 2cosh, axpy;
//! - [`powers`]: a few rows times the element-wise powers W, W², W³ of one
//!   matrix (the TAP equations' fields); [`powers_bf16`]: the same with
//!   the factors rounded to bfloat16 (AVX512-BF16's dot products);
//! - [`sampling`]: Bernoulli and spin draws from random words;
//! - [`transpose`](mod@transpose): strided transposes;
//! - [`walsh`]: the in-place fast Walsh–Hadamard transform (multi-spin
//!   couplings of a function of Ising spins);
//! - `disjoint`: the one raw pointer shared by tasks writing disjoint parts
//!   of a buffer.

pub mod aligned;
mod disjoint;
pub(crate) mod dispatch;
pub mod log_sums;
pub mod maths;
pub mod powers;
pub mod powers_bf16;
pub mod product;
pub mod sampling;
pub mod sgemm;
pub mod sparse;
pub mod transpose;
pub mod walsh;

pub use maths::{
    add_bias_rows, add_column_sums, axpy, axpy_f64, exp_f32, exp_neg_f64, ln_1p_unit_f32,
    ln_1p_unit_f64, ln_2cosh_f32, ln_2cosh_f64, sigmoid_f32, sigmoid_rows, softplus_f32,
    softplus_f64, tanh_f32, tanh_rows,
};
pub use product::{
    gemm, gemm_f64, gemm_then, gemm_with_stride, Finish, Operand, PARALLEL_MULTIPLY_ADDS,
};
pub use sampling::{bernoulli_from_bits, bernoulli_in_place, fill_random_bits, spin_in_place};
pub use transpose::{transpose, transpose_strided};
