use std::fmt;
use std::str::FromStr;

use super::serde_via_str;

/// The pagoPA taxonomy code of a transfer (`transferCategory`): `<tipo ente 2 digits><macro-area 2
/// digits><tipo servizio 3 digits><motivo IM|TS|SP|SA|AP>`, with the SANP 3.10 SEPA Request-To-Pay
/// prefix `9/`, `6/`, `7/` or `8/` and a final `/`.
///
/// Both the prefixed form (`9/0101002IM/`) and the older bare code (`0101002IM`) are accepted; the
/// prefixed form is what [`Display`](fmt::Display) writes (prefix `9` when none was given).
///
/// ```
/// use pagopa_domain::TransferCategory;
///
/// let bare: TransferCategory = "0101002IM".parse().unwrap();
/// assert_eq!(bare.to_string(), "9/0101002IM/");
/// assert_eq!(bare.code(), "0101002IM");
/// assert!("0101002XX".parse::<TransferCategory>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TransferCategory {
    prefix: u8,
    code: String,
}

/// Why a string is not a [`TransferCategory`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CategoryError {
    /// Not `dddddddXX` or `p/dddddddXX/`.
    #[error("a transfer category is 7 digits and a reason code (IM, TS, SP, SA, AP), optionally as 9/…/")]
    Format,
    /// A reason code other than IM, TS, SP, SA, AP.
    #[error("'{0}' is not a taxonomy reason code (IM, TS, SP, SA, AP)")]
    Reason(String),
    /// A prefix other than 6, 7, 8 or 9.
    #[error("'{0}' is not a SEPA RTP prefix (6, 7, 8, 9)")]
    Prefix(char),
}

const REASONS: [&str; 5] = ["IM", "TS", "SP", "SA", "AP"];

impl TransferCategory {
    /// The bare taxonomy code, e.g. `0101002IM`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The SEPA Request-To-Pay prefix digit (`9` unless the position is excluded from RTP).
    pub fn prefix(&self) -> char {
        char::from(self.prefix)
    }

    fn parse_code(code: &str) -> Result<String, CategoryError> {
        let bytes = code.as_bytes();
        if bytes.len() != 9 || !bytes[..7].iter().all(u8::is_ascii_digit) {
            return Err(CategoryError::Format);
        }
        let reason = &code[7..];
        if !REASONS.contains(&reason) {
            return Err(CategoryError::Reason(reason.to_owned()));
        }
        Ok(code.to_owned())
    }
}

impl FromStr for TransferCategory {
    type Err = CategoryError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        match raw.as_bytes() {
            [prefix, b'/', .., b'/'] if raw.len() == 12 => {
                if !matches!(prefix, b'6'..=b'9') {
                    return Err(CategoryError::Prefix(char::from(*prefix)));
                }
                Ok(Self {
                    prefix: *prefix,
                    code: Self::parse_code(&raw[2..11])?,
                })
            }
            _ => Ok(Self {
                prefix: b'9',
                code: Self::parse_code(raw)?,
            }),
        }
    }
}

impl fmt::Display for TransferCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/", char::from(self.prefix), self.code)
    }
}

impl fmt::Debug for TransferCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransferCategory({self})")
    }
}

serde_via_str!(TransferCategory);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn forms() {
        let prefixed: TransferCategory = "8/0201102IM/".parse().unwrap();
        assert_eq!(prefixed.prefix(), '8');
        assert_eq!(prefixed.code(), "0201102IM");
        assert_eq!(prefixed.to_string(), "8/0201102IM/");
        assert_eq!(
            "5/0201102IM/".parse::<TransferCategory>(),
            Err(CategoryError::Prefix('5'))
        );
        assert_eq!("020110IM".parse::<TransferCategory>(), Err(CategoryError::Format));
        assert_eq!(
            "0201102XY".parse::<TransferCategory>(),
            Err(CategoryError::Reason("XY".into()))
        );
        assert_eq!("9/0201102IM".parse::<TransferCategory>(), Err(CategoryError::Format));
    }

    proptest! {
        #[test]
        fn round_trips(prefix in 6u8..=9, digits in "[0-9]{7}", reason in proptest::sample::select(REASONS.to_vec())) {
            let text = format!("{prefix}/{digits}{reason}/");
            let category: TransferCategory = text.parse().unwrap();
            prop_assert_eq!(category.to_string(), text);
            let bare: TransferCategory = format!("{digits}{reason}").parse().unwrap();
            prop_assert_eq!(bare.prefix(), '9');
            let json = serde_json::to_string(&category).unwrap();
            prop_assert_eq!(serde_json::from_str::<TransferCategory>(&json).unwrap(), category);
        }

        #[test]
        fn arbitrary_input_never_panics(raw in ".{0,14}") {
            let _ = raw.parse::<TransferCategory>();
        }
    }
}
