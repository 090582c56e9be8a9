//! Fitting data to a visible layer's unit type: the two conventions of
//! binary data, 0/1 and ±1, are mapped onto each other.

use super::{to_binary, to_spins, validate_units, Dataset, UnitKind};
use crate::rbm::VisibleUnits;
use crate::Result;

/// How [`fit_units`] changed the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitMapping {
    /// 0/1 values mapped to ±1 spins, s = 2v − 1, for spin units.
    BinaryToSpin,
    /// ±1 spins mapped to 0/1, v = (s + 1)/2, for Bernoulli units.
    SpinToBinary,
}

impl From<VisibleUnits> for UnitKind {
    fn from(units: VisibleUnits) -> Self {
        match units {
            VisibleUnits::Bernoulli => UnitKind::Bernoulli,
            VisibleUnits::Spin => UnitKind::Spin,
            VisibleUnits::Gaussian => UnitKind::Gaussian,
        }
    }
}

/// Fits `data` to visible `units`: data all 0/1 become ±1 spins
/// (s = 2v − 1, [`to_spins`]) for spin units, and data all ±1 (with at
/// least one −1) become 0/1 (v = (s + 1)/2, [`to_binary`]) for Bernoulli
/// units; anything else is left as it is. Then every value is checked
/// ([`validate_units`]). Returns the mapping applied, if any.
///
/// # Errors
/// [`validate_units`]'s: the first value the units cannot take, with its
/// file, row and column.
pub fn fit_units(data: &mut Dataset, units: VisibleUnits) -> Result<Option<UnitMapping>> {
    let all = |data: &Dataset, a: f32, b: f32| data.find(|v| v == a || v == b).is_none();
    let mapping = match units {
        VisibleUnits::Spin if all(data, 0.0, 1.0) => {
            to_spins(data);
            Some(UnitMapping::BinaryToSpin)
        }
        VisibleUnits::Bernoulli if data.find(|v| v != -1.0).is_some() && all(data, -1.0, 1.0) => {
            to_binary(data);
            Some(UnitMapping::SpinToBinary)
        }
        _ => None,
    };
    validate_units(data, units.into())?;
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted(values: &[f32], units: VisibleUnits) -> (Result<Option<UnitMapping>>, Vec<f32>) {
        let mut data = Dataset::new(1, values.len(), values.to_vec()).unwrap();
        let result = fit_units(&mut data, units);
        (result, data.into_values())
    }

    #[test]
    fn maps_between_conventions_only_when_needed() {
        let (r, v) = fitted(&[0.0, 1.0, 1.0], VisibleUnits::Spin);
        assert_eq!(r.unwrap(), Some(UnitMapping::BinaryToSpin));
        assert_eq!(v, [-1.0, 1.0, 1.0]);
        let (r, v) = fitted(&[-1.0, 1.0, 1.0], VisibleUnits::Bernoulli);
        assert_eq!(r.unwrap(), Some(UnitMapping::SpinToBinary));
        assert_eq!(v, [0.0, 1.0, 1.0]);
        // Without a −1, ±1 data are already 0/1 for Bernoulli units; for
        // spin units all ones count as 0/1 data (mapped, to the same ones).
        let (r, v) = fitted(&[1.0, 1.0], VisibleUnits::Bernoulli);
        assert_eq!((r.unwrap(), v), (None, vec![1.0, 1.0]));
        let (r, v) = fitted(&[1.0, 1.0], VisibleUnits::Spin);
        assert_eq!(
            (r.unwrap(), v),
            (Some(UnitMapping::BinaryToSpin), vec![1.0, 1.0])
        );
        // Spins are left alone for spin units.
        let (r, v) = fitted(&[-1.0, 1.0], VisibleUnits::Spin);
        assert_eq!((r.unwrap(), v), (None, vec![-1.0, 1.0]));
        // Gaussian units take any finite value unchanged.
        let (r, v) = fitted(&[0.0, 1.0], VisibleUnits::Gaussian);
        assert_eq!((r.unwrap(), v), (None, vec![0.0, 1.0]));
    }

    #[test]
    fn values_that_no_mapping_fits_are_refused() {
        let e = fitted(&[0.5, 1.0], VisibleUnits::Spin)
            .0
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("value 0.5") && e.contains("exactly -1 or +1"),
            "{e}"
        );
        let e = fitted(&[-1.0, 0.5], VisibleUnits::Bernoulli)
            .0
            .unwrap_err()
            .to_string();
        assert!(e.contains("value -1") && e.contains("[0, 1]"), "{e}");
    }
}
