use std::fmt;
use std::str::FromStr;

use super::{luhn_it_check_digit, serde_via_str};

/// The identity of an Ente (creditor institution): its 11-digit numeric fiscal code, as carried in
/// `idPA`, `fiscalCode` and `fiscalCodePA` of the pagoPA messages.
///
/// Parsing enforces what the pagoPA schema enforces, exactly 11 digits. The check digit is not
/// required, because the Node does not require it and pagoPA's own sample messages use codes such
/// as `77777777777`; [`EnteId::has_valid_check_digit`] tells an operator when a configured code
/// looks mistyped.
///
/// ```
/// use pagopa_domain::EnteId;
///
/// let ente: EnteId = "80012345676".parse().unwrap();
/// assert!(ente.has_valid_check_digit());
/// assert!("8001234567".parse::<EnteId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnteId(String);

/// Why a string is not an [`EnteId`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnteIdError {
    /// Not 11 characters long.
    #[error("an Ente fiscal code has 11 digits, not {0} characters")]
    Length(usize),
    /// Contains something other than ASCII digits.
    #[error("an Ente fiscal code has digits only (character {position} is not one)")]
    NotDigit {
        /// 1-based position of the first non-digit.
        position: usize,
    },
}

impl EnteId {
    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the last digit is the check digit of the first ten.
    pub fn has_valid_check_digit(&self) -> bool {
        let bytes = self.0.as_bytes();
        bytes[10] == luhn_it_check_digit(&bytes[..10])
    }
}

impl FromStr for EnteId {
    type Err = EnteIdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if let Some(index) = raw.chars().position(|c| !c.is_ascii_digit())
            && raw.chars().count() == 11
        {
            return Err(EnteIdError::NotDigit { position: index + 1 });
        }
        if raw.len() != 11 {
            return Err(EnteIdError::Length(raw.chars().count()));
        }
        Ok(Self(raw.to_owned()))
    }
}

impl fmt::Display for EnteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EnteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnteId({})", self.0)
    }
}

serde_via_str!(EnteId);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn official_sample_ids_parse_even_without_a_check_digit() {
        let sample: EnteId = "77777777777".parse().unwrap();
        assert!(!sample.has_valid_check_digit());
        assert!("80012345676".parse::<EnteId>().unwrap().has_valid_check_digit());
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert_eq!("123".parse::<EnteId>(), Err(EnteIdError::Length(3)));
        assert_eq!(
            "8001234567X".parse::<EnteId>(),
            Err(EnteIdError::NotDigit { position: 11 })
        );
        assert_eq!("".parse::<EnteId>(), Err(EnteIdError::Length(0)));
        assert_eq!(
            "8001234567é".parse::<EnteId>(),
            Err(EnteIdError::NotDigit { position: 11 })
        );
    }

    proptest! {
        #[test]
        fn eleven_digits_round_trip(id in "[0-9]{11}") {
            let parsed: EnteId = id.parse().unwrap();
            prop_assert_eq!(parsed.to_string(), id.clone());
            let json = serde_json::to_string(&parsed).unwrap();
            prop_assert_eq!(serde_json::from_str::<EnteId>(&json).unwrap(), parsed);
        }

        #[test]
        fn other_shapes_are_refused(id in "[0-9A-Z]{0,20}") {
            prop_assume!(!(id.len() == 11 && id.bytes().all(|b| b.is_ascii_digit())));
            prop_assert!(id.parse::<EnteId>().is_err());
        }
    }
}
