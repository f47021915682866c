use std::fmt;
use std::str::FromStr;

use super::{mod97, serde_via_str};

/// An IUV (identificativo univoco versamento), the payment identifier an Ente gives each payment
/// option; in SOAP it is the `creditorReferenceId`.
///
/// Accepted forms: the numeric IUVs a notice number carries (17 digits for aux digits 1, 2 and 3;
/// 15 digits for aux digit 0) and an ISO 11649 structured creditor reference (`RF` + 2 check
/// digits + 1..21 letters or digits, mod 97), which modello-1-only payments may use. A notice
/// number always gives a numeric IUV: see [`NoticeNumber::iuv`](crate::NoticeNumber::iuv).
///
/// ```
/// use pagopa_domain::Iuv;
///
/// let iuv: Iuv = "05260100000471130".parse().unwrap();
/// assert!(iuv.is_numeric());
/// assert!("RF18539007547034".parse::<Iuv>().is_ok());
/// assert!("0526010000047113".parse::<Iuv>().is_err()); // 16 digits
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iuv(String);

/// Why a string is not an [`Iuv`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IuvError {
    /// Numeric but neither 15 nor 17 digits long.
    #[error("a numeric IUV has 15 or 17 digits, not {0}")]
    Length(usize),
    /// Not digits, and not an `RF` creditor reference either.
    #[error("an IUV is 15 or 17 digits or an RF creditor reference")]
    Format,
    /// An `RF` creditor reference whose check digits are wrong.
    #[error("the RF creditor reference check digits are wrong")]
    Checksum,
}

impl Iuv {
    /// The IUV as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the IUV is numeric (it comes from, or can be printed as, a notice number).
    pub fn is_numeric(&self) -> bool {
        self.0.bytes().all(|b| b.is_ascii_digit())
    }

    /// Wraps digits already known to be a 15- or 17-digit IUV (a notice number's tail).
    pub(crate) fn from_notice_digits(digits: &str) -> Self {
        debug_assert!(matches!(digits.len(), 15 | 17) && digits.bytes().all(|b| b.is_ascii_digit()));
        Self(digits.to_owned())
    }
}

fn rf_checksum_ok(reference: &str) -> bool {
    mod97(reference) == 1
}

impl FromStr for Iuv {
    type Err = IuvError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
            return match raw.len() {
                15 | 17 => Ok(Self(raw.to_owned())),
                other => Err(IuvError::Length(other)),
            };
        }
        let upper = raw.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let rf_shape = (5..=25).contains(&bytes.len())
            && bytes.starts_with(b"RF")
            && bytes[2..4].iter().all(u8::is_ascii_digit)
            && bytes[4..].iter().all(u8::is_ascii_alphanumeric);
        if !rf_shape {
            return Err(IuvError::Format);
        }
        if !rf_checksum_ok(&upper) {
            return Err(IuvError::Checksum);
        }
        Ok(Self(upper))
    }
}

impl fmt::Display for Iuv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Iuv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iuv({})", self.0)
    }
}

serde_via_str!(Iuv);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn creditor_reference(body: &str) -> String {
        format!("RF{:02}{body}", 98 - mod97(&format!("RF00{body}")))
    }

    #[test]
    fn forms() {
        assert!("160020399398578".parse::<Iuv>().is_ok());
        assert_eq!("rf18539007547034".parse::<Iuv>().unwrap().as_str(), "RF18539007547034");
        assert_eq!("RF19539007547034".parse::<Iuv>(), Err(IuvError::Checksum));
        assert_eq!("1234".parse::<Iuv>(), Err(IuvError::Length(4)));
        assert_eq!("".parse::<Iuv>(), Err(IuvError::Format));
        assert_eq!("0526010000047113A".parse::<Iuv>(), Err(IuvError::Format));
        assert_eq!(creditor_reference("539007547034"), "RF18539007547034");
    }

    proptest! {
        #[test]
        fn numeric_round_trip(digits in "[0-9]{15}|[0-9]{17}") {
            let iuv: Iuv = digits.parse().unwrap();
            prop_assert!(iuv.is_numeric());
            let json = serde_json::to_string(&iuv).unwrap();
            prop_assert_eq!(serde_json::from_str::<Iuv>(&json).unwrap(), iuv);
        }

        #[test]
        fn creditor_references_round_trip(body in "[0-9A-Z]{1,21}") {
            let reference = creditor_reference(&body);
            prop_assert_eq!(reference.parse::<Iuv>().unwrap().to_string(), reference);
        }

        #[test]
        fn other_numeric_lengths_are_refused(digits in "[0-9]{1,40}") {
            prop_assume!(digits.len() != 15 && digits.len() != 17);
            prop_assert_eq!(digits.parse::<Iuv>(), Err(IuvError::Length(digits.len())));
        }
    }
}
