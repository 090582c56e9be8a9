//! Geometry of the L × L periodic square lattice: site i = row·L + col,
//! positions `(row, col)` on the torus [0, L)², minimal-image distances.

use crate::{Error, Result};

/// The minimal-image signed difference b − a on a ring of length `side`:
/// the value d ≡ b − a (mod side) with −side/2 < d ≤ side/2.
pub fn torus_delta(a: f64, b: f64, side: usize) -> f64 {
    let length = side as f64;
    let d = (b - a).rem_euclid(length);
    if d > 0.5 * length {
        d - length
    } else {
        d
    }
}

/// The Euclidean minimal-image distance between positions `a` and `b`
/// (`(row, col)`) on the `side × side` torus:
/// sqrt(Δrow² + Δcol²) with each Δ from [`torus_delta`].
pub fn torus_distance(a: (f64, f64), b: (f64, f64), side: usize) -> f64 {
    torus_delta(a.0, b.0, side).hypot(torus_delta(a.1, b.1, side))
}

/// The side L of a square lattice of `n_sites` = L² sites. Errors unless
/// `n_sites` is a positive perfect square.
pub fn lattice_side(n_sites: usize) -> Result<usize> {
    let mut side = (n_sites as f64).sqrt().round() as usize;
    // Correct the float estimate for huge counts.
    while side > 0 && side.saturating_mul(side) > n_sites {
        side -= 1;
    }
    while (side + 1).saturating_mul(side + 1) <= n_sites {
        side += 1;
    }
    if n_sites == 0 || side * side != n_sites {
        return Err(Error::invalid(
            "number of lattice sites",
            n_sites,
            "a positive perfect square L² (an L × L lattice)",
        ));
    }
    Ok(side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_is_the_minimal_image() {
        assert_eq!(torus_delta(0.0, 3.0, 16), 3.0);
        assert_eq!(torus_delta(0.0, 15.0, 16), -1.0);
        assert_eq!(torus_delta(15.0, 0.0, 16), 1.0);
        assert_eq!(torus_delta(2.0, 10.0, 16), 8.0);
        assert_eq!(torus_delta(10.0, 2.0, 16), 8.0);
        assert_eq!(torus_delta(1.0, 1.0, 16), 0.0);
        assert!((torus_delta(15.5, 0.25, 16) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn distance_wraps_both_axes() {
        assert_eq!(torus_distance((0.0, 0.0), (15.0, 15.0), 16), 2f64.sqrt());
        assert_eq!(torus_distance((0.0, 0.0), (3.0, 4.0), 16), 5.0);
        assert_eq!(torus_distance((0.0, 1.0), (0.0, 7.0), 8), 2.0);
    }

    #[test]
    fn side_of_square_counts_only() {
        assert_eq!(lattice_side(1).unwrap(), 1);
        assert_eq!(lattice_side(256).unwrap(), 16);
        assert_eq!(lattice_side(784).unwrap(), 28);
        for bad in [0, 2, 255, 257] {
            let message = lattice_side(bad).unwrap_err().to_string();
            assert!(message.contains(&bad.to_string()), "{message}");
        }
    }
}
