//! A small fixed-point decimal for form numbers and pricing rules: exact, no floats.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A decimal number with up to six fractional digits, held exactly as millionths. Form numbers
/// (hours, square metres) and pricing rules use it, so a price is never off by a float rounding.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(i128);

/// Why a string is not a [`Decimal`], or an operation has no result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// Not `[-]digits[.digits]`.
    #[error("not a number")]
    Format,
    /// More than six decimals.
    #[error("at most {max} decimals")]
    TooManyDecimals {
        /// The maximum allowed.
        max: u32,
    },
    /// Too large to compute with.
    #[error("number out of range")]
    Overflow,
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
}

const SCALE: i128 = 1_000_000;
/// Numbers beyond ±10^15 are refused. Two operands may still multiply past i128 (10^21 raw
/// each), so every operation is checked before the bound is applied.
const LIMIT: i128 = 1_000_000_000_000_000 * SCALE;

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal(0);
    /// One.
    pub const ONE: Decimal = Decimal(SCALE);

    fn checked(value: i128) -> Result<Self, DecimalError> {
        if value.abs() > LIMIT {
            Err(DecimalError::Overflow)
        } else {
            Ok(Self(value))
        }
    }

    /// An integer (an `i64` times the scale always fits an `i128`).
    pub fn from_int(value: i64) -> Self {
        Self(i128::from(value).saturating_mul(SCALE))
    }

    /// How many fractional digits the number needs (0..=6).
    pub fn decimals(self) -> u32 {
        let mut fraction = (self.0 % SCALE).abs();
        if fraction == 0 {
            return 0;
        }
        let mut digits = 6;
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        digits
    }

    /// `self + other`.
    pub fn checked_add(self, other: Self) -> Result<Self, DecimalError> {
        Self::checked(self.0.checked_add(other.0).ok_or(DecimalError::Overflow)?)
    }

    /// `self - other`.
    pub fn checked_sub(self, other: Self) -> Result<Self, DecimalError> {
        Self::checked(self.0.checked_sub(other.0).ok_or(DecimalError::Overflow)?)
    }

    /// `self × other`, rounded half away from zero to six decimals.
    pub fn checked_mul(self, other: Self) -> Result<Self, DecimalError> {
        let product = self.0.checked_mul(other.0).ok_or(DecimalError::Overflow)?;
        Self::checked(div_round(product, SCALE))
    }

    /// `self ÷ other`, rounded half away from zero to six decimals.
    pub fn checked_div(self, other: Self) -> Result<Self, DecimalError> {
        if other.0 == 0 {
            return Err(DecimalError::DivisionByZero);
        }
        let scaled = self.0.checked_mul(SCALE).ok_or(DecimalError::Overflow)?;
        Self::checked(div_round(scaled, other.0))
    }

    /// Rounded half away from zero to a whole number.
    pub fn round_to_integer(self) -> i128 {
        div_round(self.0, SCALE)
    }
}

fn div_round(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    // |remainder| < |denominator| ≤ i128::MAX / 2 for every divisor used here (SCALE or a
    // bounded decimal), so doubling it cannot overflow.
    if remainder.abs() * 2 >= denominator.abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || (unsigned.contains('.') && fraction.is_empty()) {
            return Err(DecimalError::Format);
        }
        if fraction.len() > 6 {
            return Err(DecimalError::TooManyDecimals { max: 6 });
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 15 {
            return Err(DecimalError::Overflow);
        }
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| DecimalError::Format)?
        };
        let padded = format!("{fraction:0<6}");
        let fraction: i128 = padded.parse().map_err(|_| DecimalError::Format)?;
        let value = whole * SCALE + fraction;
        Self::checked(if negative { -value } else { value })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let whole = (self.0 / SCALE).abs();
        let decimals = self.decimals();
        if decimals == 0 {
            return write!(f, "{sign}{whole}");
        }
        let fraction = format!("{:06}", (self.0 % SCALE).abs());
        // decimals is at most 6, the length of `fraction`.
        write!(f, "{sign}{whole}.{}", &fraction[..decimals as usize])
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

impl PartialOrd<i64> for Decimal {
    fn partial_cmp(&self, other: &i64) -> Option<Ordering> {
        self.0.partial_cmp(&(i128::from(*other) * SCALE))
    }
}

impl PartialEq<i64> for Decimal {
    fn eq(&self, other: &i64) -> bool {
        self.0 == i128::from(*other) * SCALE
    }
}

crate::value::serde_via_str!(Decimal);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(d("0.1").checked_add(d("0.2")).unwrap(), d("0.3"));
        assert_eq!(d("2.5").checked_mul(d("1500")).unwrap(), d("3750"));
        assert_eq!(d("10").checked_div(d("3")).unwrap(), d("3.333333"));
        assert_eq!(d("2").checked_div(d("3")).unwrap(), d("0.666667"));
        assert_eq!(d("-2.5").round_to_integer(), -3);
        assert_eq!(d("2.4999").round_to_integer(), 2);
        assert_eq!(d("1").checked_div(Decimal::ZERO), Err(DecimalError::DivisionByZero));
        assert_eq!(d("12.50").to_string(), "12.5");
        assert_eq!(d("-0.000001").to_string(), "-0.000001");
        assert_eq!(
            "1.1234567".parse::<Decimal>(),
            Err(DecimalError::TooManyDecimals { max: 6 })
        );
        for bad in ["", "-", ".5", "5.", "1e3", "1,5", "--1", "+1"] {
            assert_eq!(bad.parse::<Decimal>(), Err(DecimalError::Format), "{bad}");
        }
        assert_eq!("1000000000000000000".parse::<Decimal>(), Err(DecimalError::Overflow));
    }

    proptest! {
        #[test]
        fn round_trips(whole in -999_999_999i64..999_999_999, fraction in 0u32..1_000_000) {
            let text = if fraction == 0 { whole.to_string() } else { format!("{whole}.{fraction:06}") };
            let parsed: Decimal = text.parse().unwrap();
            prop_assert_eq!(parsed.to_string().parse::<Decimal>().unwrap(), parsed);
        }
    }
}
