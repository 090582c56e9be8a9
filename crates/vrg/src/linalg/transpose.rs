//! Transposes between strided f32 matrices, in 8×8 AVX tiles where the
//! processor has AVX.

use super::dispatch::{isa, Isa};

/// dst (cols × rows, row-major) ← srcᵀ for src rows × cols, row-major.
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    assert_eq!(src.len(), rows * cols);
    assert_eq!(dst.len(), rows * cols);
    transpose_strided(src, cols, rows, cols, dst, rows);
}

/// dst[c·dst_stride + r] ← src[r·src_stride + c] for r < rows, c < cols:
/// a transpose between strided matrices, in 8×8 tiles with AVX shuffles
/// where available. Panics if either slice is too short.
pub fn transpose_strided(
    src: &[f32],
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
    dst_stride: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        src.len() >= (rows - 1) * src_stride + cols,
        "transpose: source too short"
    );
    assert!(
        dst.len() >= (cols - 1) * dst_stride + rows,
        "transpose: destination too short"
    );
    let (full_r, full_c) = (rows / 8 * 8, cols / 8 * 8);
    #[cfg(target_arch = "x86_64")]
    if isa() != Isa::Generic {
        for rb in (0..full_r).step_by(8) {
            for cb in (0..full_c).step_by(8) {
                // SAFETY: AVX is available (AVX2 implies AVX); the 8×8 tile
                // lies inside both slices (checked above).
                unsafe {
                    transpose8x8(
                        src.as_ptr().add(rb * src_stride + cb),
                        src_stride,
                        dst.as_mut_ptr().add(cb * dst_stride + rb),
                        dst_stride,
                    )
                };
            }
        }
        for r in 0..rows {
            let c_start = if r < full_r { full_c } else { 0 };
            for c in c_start..cols {
                dst[c * dst_stride + r] = src[r * src_stride + c];
            }
        }
        return;
    }
    for r in 0..rows {
        for c in 0..cols {
            dst[c * dst_stride + r] = src[r * src_stride + c];
        }
    }
}

/// One 8×8 tile of [`transpose_strided`]: d[c·dst_stride + r] ←
/// s[r·src_stride + c] for r, c < 8.
///
/// # Safety
/// The processor must support AVX; `s` must be valid for reads of 8 rows
/// of 8 values at stride `src_stride`, and `d` for writes of 8 rows of 8
/// values at stride `dst_stride`, not overlapping the source.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose8x8(s: *const f32, src_stride: usize, d: *mut f32, dst_stride: usize) {
    use std::arch::x86_64::*;
    let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(s.add(i * src_stride)));
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    let out = [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ];
    for (i, v) in out.iter().enumerate() {
        _mm256_storeu_ps(d.add(i * dst_stride), *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_is_exact_for_ragged_shapes() {
        let mut padded = vec![-1.0f32; 40 * 50];
        let src: Vec<f32> = (0..13 * 30).map(|i| i as f32).collect();
        // 13×29 block of a 13×30 matrix into a destination with stride 50.
        transpose_strided(&src, 30, 13, 29, &mut padded, 50);
        for r in 0..13 {
            for c in 0..29 {
                assert_eq!(padded[c * 50 + r], src[r * 30 + c]);
            }
            assert_eq!(padded[29 * 50 + r], -1.0);
        }
        for (rows, cols) in [(1, 1), (8, 8), (9, 17), (16, 24), (784, 500), (3, 40)] {
            let src: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let mut dst = vec![-1.0f32; rows * cols];
            transpose(&src, rows, cols, &mut dst);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        dst[c * rows + r],
                        src[r * cols + c],
                        "{rows}×{cols} at ({r},{c})"
                    );
                }
            }
        }
    }
}
