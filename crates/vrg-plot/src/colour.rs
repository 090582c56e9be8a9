//! Colour maps: a diverging blue–white–red map centred at zero and a grey ramp.

/// An 8-bit RGB colour.
pub type Rgb = (u8, u8, u8);

/// The colour of `-max` in the diverging map (a dark blue).
pub const DIVERGING_NEGATIVE: Rgb = (33, 102, 172);
/// The colour of `+max` in the diverging map (a dark red).
pub const DIVERGING_POSITIVE: Rgb = (178, 24, 43);
const WHITE: Rgb = (255, 255, 255);

fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    (m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// The diverging colour of `value` on the symmetric scale `[-max, max]`.
///
/// Zero is white, `-max` is [`DIVERGING_NEGATIVE`] and `+max` is
/// [`DIVERGING_POSITIVE`], interpolated linearly in between; values beyond
/// the scale take the end colours. A non-positive or non-finite `max`, or a
/// non-finite `value`, gives white.
pub fn diverging(value: f64, max: f64) -> Rgb {
    if !(max > 0.0 && max.is_finite() && value.is_finite()) {
        return WHITE;
    }
    let t = value / max;
    if t < 0.0 {
        mix(WHITE, DIVERGING_NEGATIVE, -t)
    } else {
        mix(WHITE, DIVERGING_POSITIVE, t)
    }
}

/// The grey level of `value` on the scale `[min, max]`: black at `min`,
/// white at `max`, clamped outside. A degenerate or non-finite scale gives
/// mid grey.
pub fn grey(value: f64, min: f64, max: f64) -> Rgb {
    if !(max > min && min.is_finite() && max.is_finite() && value.is_finite()) {
        return (128, 128, 128);
    }
    mix((0, 0, 0), WHITE, (value - min) / (max - min))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_sends_zero_to_white_and_the_ends_to_blue_and_red() {
        assert_eq!(diverging(0.0, 2.5), (255, 255, 255));
        assert_eq!(diverging(-2.5, 2.5), DIVERGING_NEGATIVE);
        assert_eq!(diverging(2.5, 2.5), DIVERGING_POSITIVE);
        // Beyond the scale: clamped to the ends.
        assert_eq!(diverging(-7.0, 2.5), DIVERGING_NEGATIVE);
        assert_eq!(diverging(7.0, 2.5), DIVERGING_POSITIVE);
        // Halfway is halfway between white and the end.
        let (r, g, b) = diverging(1.25, 2.5);
        assert_eq!((r, g, b), (217, 140, 149));
        // Negative values are bluish, positive reddish.
        let (r, _, b) = diverging(-1.0, 2.5);
        assert!(b > r);
        let (r, _, b) = diverging(1.0, 2.5);
        assert!(r > b);
        // Degenerate scales do not panic.
        assert_eq!(diverging(1.0, 0.0), (255, 255, 255));
        assert_eq!(diverging(f64::NAN, 1.0), (255, 255, 255));
    }

    #[test]
    fn grey_runs_from_black_to_white() {
        assert_eq!(grey(-1.0, -1.0, 3.0), (0, 0, 0));
        assert_eq!(grey(3.0, -1.0, 3.0), (255, 255, 255));
        assert_eq!(grey(1.0, -1.0, 3.0), (128, 128, 128));
        assert_eq!(grey(1.0, 1.0, 1.0), (128, 128, 128));
    }
}
