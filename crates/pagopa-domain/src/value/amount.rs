use std::fmt;
use std::str::FromStr;

/// A payable amount in euro cents: at least 1 cent, at most 999 999 999,99 EUR (the pagoPA
/// `stAmountNotZero` range). Money is never a float in this code base.
///
/// Two text forms: the pagoPA decimal form with exactly two decimals (`1234.50`, what SOAP carries
/// and what [`Display`](fmt::Display) and [`FromStr`] use) and the Italian print form (`1.234,50`,
/// what a payment notice shows). Serde uses the integer number of cents, as the Checkout API does.
///
/// ```
/// use pagopa_domain::AmountCents;
///
/// let amount: AmountCents = "1234.50".parse().unwrap();
/// assert_eq!(amount.cents(), 123_450);
/// assert_eq!(amount.to_string(), "1234.50");
/// assert_eq!(amount.to_italian(), "1.234,50");
/// assert!(AmountCents::new(0).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AmountCents(u64);

/// Why a value is not an [`AmountCents`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Zero: pagoPA payments and transfers are at least one cent.
    #[error("an amount must be at least 0.01 EUR")]
    Zero,
    /// Above 999 999 999,99 EUR.
    #[error("an amount may not exceed 999999999.99 EUR")]
    TooLarge,
    /// Not of the form `digits.dd`.
    #[error("an amount is written as digits, a dot and exactly two decimals (e.g. 12.50)")]
    Format,
    /// Adding amounts went past the maximum.
    #[error("the sum of the amounts exceeds 999999999.99 EUR")]
    Overflow,
}

impl AmountCents {
    /// The largest amount pagoPA accepts, 999 999 999,99 EUR.
    pub const MAX: AmountCents = AmountCents(99_999_999_999);

    /// An amount of `cents` euro cents.
    pub fn new(cents: u64) -> Result<Self, AmountError> {
        match cents {
            0 => Err(AmountError::Zero),
            c if c > Self::MAX.0 => Err(AmountError::TooLarge),
            c => Ok(Self(c)),
        }
    }

    /// The number of cents.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// The sum of the amounts, or an error if it passes the maximum (an empty sum is an error too:
    /// there is no zero amount).
    pub fn sum<I: IntoIterator<Item = AmountCents>>(amounts: I) -> Result<Self, AmountError> {
        let total = amounts
            .into_iter()
            .try_fold(0u64, |acc, a| acc.checked_add(a.0))
            .ok_or(AmountError::Overflow)?;
        match Self::new(total) {
            Err(AmountError::TooLarge) => Err(AmountError::Overflow),
            other => other,
        }
    }

    /// The Italian print form used on payment notices: `1.234,50`.
    pub fn to_italian(self) -> String {
        let euros = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3 + 3);
        for (index, digit) in euros.chars().enumerate() {
            if index > 0 && (euros.len() - index).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        format!("{grouped},{:02}", self.0 % 100)
    }

    /// Parses the Italian print form (`1.234,50`; the thousands dots are optional).
    pub fn parse_italian(raw: &str) -> Result<Self, AmountError> {
        let (euros, decimals) = raw.split_once(',').ok_or(AmountError::Format)?;
        let groups: Vec<&str> = euros.split('.').collect();
        let well_grouped =
            groups.len() == 1 || (matches!(groups[0].len(), 1..=3) && groups[1..].iter().all(|g| g.len() == 3));
        if !well_grouped {
            return Err(AmountError::Format);
        }
        Self::from_parts(&groups.concat(), decimals)
    }

    fn from_parts(euros: &str, decimals: &str) -> Result<Self, AmountError> {
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(euros) || decimals.len() != 2 || !digits_only(decimals) {
            return Err(AmountError::Format);
        }
        let significant = euros.trim_start_matches('0');
        if significant.len() > 9 {
            return Err(AmountError::TooLarge);
        }
        // At most 9 digits of euros and 2 of cents: both fit in u64.
        let euros: u64 = if significant.is_empty() {
            0
        } else {
            significant.parse().map_err(|_| AmountError::Format)?
        };
        let cents: u64 = decimals.parse().map_err(|_| AmountError::Format)?;
        Self::new(euros * 100 + cents)
    }
}

impl FromStr for AmountCents {
    type Err = AmountError;

    /// Parses the pagoPA decimal form `\d+\.\d{2}`.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (euros, decimals) = raw.split_once('.').ok_or(AmountError::Format)?;
        Self::from_parts(euros, decimals)
    }
}

impl fmt::Display for AmountCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Debug for AmountCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmountCents({self})")
    }
}

impl TryFrom<u64> for AmountCents {
    type Error = AmountError;

    fn try_from(cents: u64) -> Result<Self, Self::Error> {
        Self::new(cents)
    }
}

impl<'de> serde::Deserialize<'de> for AmountCents {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let cents = u64::deserialize(deserializer)?;
        Self::new(cents).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn forms() {
        let a = AmountCents::new(24_570).unwrap();
        assert_eq!(a.to_string(), "245.70");
        assert_eq!(a.to_italian(), "245,70");
        assert_eq!(AmountCents::new(1).unwrap().to_string(), "0.01");
        assert_eq!(AmountCents::MAX.to_string(), "999999999.99");
        assert_eq!(AmountCents::MAX.to_italian(), "999.999.999,99");
        assert_eq!(AmountCents::new(102_099).unwrap().to_italian(), "1.020,99");
        assert_eq!(AmountCents::parse_italian("1.020,99").unwrap().cents(), 102_099);
        assert_eq!(AmountCents::parse_italian("1020,99").unwrap().cents(), 102_099);
    }

    #[test]
    fn refusals() {
        assert_eq!(AmountCents::new(0), Err(AmountError::Zero));
        assert_eq!("0.00".parse::<AmountCents>(), Err(AmountError::Zero));
        assert_eq!(AmountCents::new(100_000_000_000), Err(AmountError::TooLarge));
        assert_eq!("1000000000.00".parse::<AmountCents>(), Err(AmountError::TooLarge));
        for bad in [
            "12", "12.5", "12.500", "-1.00", "+1.00", "1,00", ".50", "1.5a", "", " 1.00", "1e3.00",
        ] {
            assert_eq!(bad.parse::<AmountCents>(), Err(AmountError::Format), "{bad:?}");
        }
        for bad in ["1.02.099", "10.20,99", "1.020", ",99", "1.0200,99"] {
            assert_eq!(AmountCents::parse_italian(bad), Err(AmountError::Format), "{bad:?}");
        }
        assert_eq!(serde_json::from_str::<AmountCents>("0").ok(), None);
        assert_eq!(serde_json::from_str::<AmountCents>("-5").ok(), None);
    }

    #[test]
    fn sums() {
        let parts = [23_400_u64, 1_170].map(|c| AmountCents::new(c).unwrap());
        assert_eq!(AmountCents::sum(parts).unwrap().cents(), 24_570);
        assert_eq!(
            AmountCents::sum([AmountCents::MAX, AmountCents::new(1).unwrap()]),
            Err(AmountError::Overflow)
        );
        assert_eq!(AmountCents::sum([]), Err(AmountError::Zero));
    }

    proptest! {
        #[test]
        fn round_trips(cents in 1u64..=99_999_999_999) {
            let amount = AmountCents::new(cents).unwrap();
            prop_assert_eq!(amount.to_string().parse::<AmountCents>().unwrap(), amount);
            prop_assert_eq!(AmountCents::parse_italian(&amount.to_italian()).unwrap(), amount);
            let json = serde_json::to_string(&amount).unwrap();
            prop_assert_eq!(&json, &cents.to_string());
            prop_assert_eq!(serde_json::from_str::<AmountCents>(&json).unwrap(), amount);
        }

        #[test]
        fn too_large_is_refused(cents in 100_000_000_000u64..) {
            prop_assert_eq!(AmountCents::new(cents), Err(AmountError::TooLarge));
        }

        #[test]
        fn wrong_decimal_counts_are_refused(euros in 0u64..1_000_000, decimals in "[0-9]{0,1}|[0-9]{3,5}") {
            prop_assert_eq!(format!("{euros}.{decimals}").parse::<AmountCents>(), Err(AmountError::Format));
        }

        #[test]
        fn arbitrary_input_never_panics(raw in ".{0,16}") {
            let _ = raw.parse::<AmountCents>();
            let _ = AmountCents::parse_italian(&raw);
        }
    }
}
