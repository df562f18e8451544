//! Go's conversion of a `float64` to an `int64`, by which both trace layouts turn clock ticks
//! into nanoseconds.

/// 2^63, exactly.
const TWO_63: f64 = (1u64 << 63) as f64;

/// `int64(x)` as Go computes it on amd64, the reference machine: a value out of `i64`'s range,
/// or a NaN, gives `i64::MIN` (the instruction's "indefinite integer"), where Rust's `as`
/// saturates (as Go does on arm64).
#[inline]
pub(crate) fn go_int64(x: f64) -> i64 {
    // [-2^63, 2^63); a NaN fails both comparisons.
    if (-TWO_63..TWO_63).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_and_nan_give_i64_min() {
        assert_eq!(go_int64(48.7), 48);
        assert_eq!(go_int64(-48.7), -48);
        // The largest float below 2^63 converts; 2^63 and beyond do not, nor do -inf and NaN.
        assert_eq!(go_int64(f64::from_bits(TWO_63.to_bits() - 1)), i64::MAX - 1023);
        assert_eq!(go_int64(TWO_63), i64::MIN);
        assert_eq!(go_int64(f64::INFINITY), i64::MIN);
        assert_eq!(go_int64(-TWO_63), i64::MIN);
        assert_eq!(go_int64(-9.0e18), -9_000_000_000_000_000_000);
        assert_eq!(go_int64(-9.3e18), i64::MIN);
        assert_eq!(go_int64(f64::NEG_INFINITY), i64::MIN);
        assert_eq!(go_int64(f64::NAN), i64::MIN);
    }
}
