use std::fmt;
use std::str::FromStr;

use super::{luhn_it_check_digit, odd_even_check_letter, serde_via_str};

/// An Italian fiscal code: the 16-character personal code (codice fiscale of a natural person) or
/// the 11-digit numeric code of a legal person or sole trader (partita IVA).
///
/// Parsing checks the full shape and the check character; lower case is accepted and normalised
/// to upper case, and omocodia substitutions (`L`..`V` in place of digits) are accepted.
///
/// ```
/// use pagopa_domain::{FiscalCode, FiscalCodeKind};
///
/// let person: FiscalCode = "vrdgpp80a01b157x".parse().unwrap();
/// assert_eq!(person.as_str(), "VRDGPP80A01B157X");
/// assert_eq!(person.kind(), FiscalCodeKind::Person);
///
/// let company: FiscalCode = "12345678903".parse().unwrap();
/// assert_eq!(company.kind(), FiscalCodeKind::Entity);
///
/// assert!("VRDGPP80A01B157Y".parse::<FiscalCode>().is_err()); // wrong check character
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalCode(String);

/// Which of the two forms a [`FiscalCode`] has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FiscalCodeKind {
    /// 16 characters: a natural person (pagoPA subject type `F`).
    Person,
    /// 11 digits: a legal person or sole trader (pagoPA subject type `G`).
    Entity,
}

/// Why a string is not a [`FiscalCode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FiscalCodeError {
    /// Neither 16 nor 11 characters long.
    #[error("a fiscal code has 16 characters (person) or 11 digits (entity), not {0}")]
    Length(usize),
    /// A character is not allowed at this position.
    #[error("character {position} of the fiscal code is not allowed there")]
    Character {
        /// 1-based position of the offending character.
        position: usize,
    },
    /// The month letter is not one of `ABCDEHLMPRST`.
    #[error("'{0}' is not a month letter (ABCDEHLMPRST)")]
    Month(char),
    /// The day of birth is outside 1..=31 (men) and 41..=71 (women).
    #[error("day {0} is not a valid day of birth (01-31, 41-71)")]
    Day(u32),
    /// The check character (or digit) does not match the rest of the code.
    #[error("the check character is wrong: expected '{expected}'")]
    Check {
        /// The check character the rest of the code gives.
        expected: char,
    },
}

const MONTH_LETTERS: &[u8] = b"ABCDEHLMPRST";
const OMOCODIA_LETTERS: &[u8] = b"LMNPQRSTUV";
/// Positions (0-based) of the personal code that hold digits, or their omocodia letters.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

impl FiscalCode {
    /// The code, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Person (16 characters) or entity (11 digits).
    pub fn kind(&self) -> FiscalCodeKind {
        if self.0.len() == 16 {
            FiscalCodeKind::Person
        } else {
            FiscalCodeKind::Entity
        }
    }

    /// The code with its middle hidden, for logs and messages that must not carry personal data:
    /// `VRD**********57X`.
    pub fn masked(&self) -> String {
        let len = self.0.len();
        format!("{}{}{}", &self.0[..3], "*".repeat(len - 6), &self.0[len - 3..])
    }

    fn parse_person(code: &[u8]) -> Result<(), FiscalCodeError> {
        for (position, &c) in code.iter().enumerate() {
            let ok = match position {
                0..=5 | 8 | 11 | 15 => c.is_ascii_uppercase(),
                _ => c.is_ascii_digit() || OMOCODIA_LETTERS.contains(&c),
            };
            if !ok {
                return Err(FiscalCodeError::Character { position: position + 1 });
            }
        }
        if !MONTH_LETTERS.contains(&code[8]) {
            return Err(FiscalCodeError::Month(char::from(code[8])));
        }
        let digit_at = |position: usize| -> u32 {
            let c = code[position];
            match OMOCODIA_LETTERS.iter().position(|&l| l == c) {
                // position() of a 10-element slice fits in u32.
                Some(value) => value as u32,
                None => u32::from(c - b'0'),
            }
        };
        debug_assert!(DIGIT_POSITIONS.contains(&9));
        let day = digit_at(9) * 10 + digit_at(10);
        if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
            return Err(FiscalCodeError::Day(day));
        }
        // Every byte was checked above to be an upper-case letter or a digit.
        let expected = odd_even_check_letter(&code[..15]).unwrap_or(b'?');
        if code[15] != expected {
            return Err(FiscalCodeError::Check {
                expected: char::from(expected),
            });
        }
        Ok(())
    }

    fn parse_entity(code: &[u8]) -> Result<(), FiscalCodeError> {
        if let Some(position) = code.iter().position(|c| !c.is_ascii_digit()) {
            return Err(FiscalCodeError::Character { position: position + 1 });
        }
        let expected = luhn_it_check_digit(&code[..10]);
        if code[10] != expected {
            return Err(FiscalCodeError::Check {
                expected: char::from(expected),
            });
        }
        Ok(())
    }
}

impl FromStr for FiscalCode {
    type Err = FiscalCodeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let code = raw.trim().to_ascii_uppercase();
        match code.len() {
            16 => Self::parse_person(code.as_bytes())?,
            11 => Self::parse_entity(code.as_bytes())?,
            _ => return Err(FiscalCodeError::Length(raw.trim().chars().count())),
        }
        Ok(Self(code))
    }
}

impl fmt::Display for FiscalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FiscalCode {
    // Debug output ends up in logs: never print a whole personal code there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FiscalCode({})", self.masked())
    }
}

serde_via_str!(FiscalCode);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn person_code(body: &str) -> String {
        let check = odd_even_check_letter(body.as_bytes()).map(char::from).unwrap_or('?');
        format!("{body}{check}")
    }

    #[test]
    fn known_codes_parse() {
        for code in [
            "VRDGPP80A01B157X",
            "BNCLRA85M41B157C",
            "RSSMRA80A01H501U",
            "AAAAAA00A01A000H",
        ] {
            let parsed: FiscalCode = code.parse().unwrap();
            assert_eq!(parsed.as_str(), code);
            assert_eq!(parsed.kind(), FiscalCodeKind::Person);
        }
        for code in ["80012345676", "00123456782", "12345678903"] {
            assert_eq!(code.parse::<FiscalCode>().unwrap().kind(), FiscalCodeKind::Entity);
        }
    }

    #[test]
    fn lower_case_and_omocodia_are_accepted() {
        assert_eq!(
            "rssmra80a01h501u".parse::<FiscalCode>().unwrap().as_str(),
            "RSSMRA80A01H501U"
        );
        // 0 -> L in the last digit of the municipality code, check character recomputed.
        let omocode = person_code("RSSMRA80A01H50M");
        assert!(omocode.parse::<FiscalCode>().is_ok(), "{omocode}");
    }

    #[test]
    fn each_malformation_has_its_error() {
        assert_eq!("ABC".parse::<FiscalCode>(), Err(FiscalCodeError::Length(3)));
        assert_eq!(
            "VRDGPP80A01B157Y".parse::<FiscalCode>(),
            Err(FiscalCodeError::Check { expected: 'X' })
        );
        assert!(matches!(
            "1RDGPP80A01B157X".parse::<FiscalCode>(),
            Err(FiscalCodeError::Character { position: 1 })
        ));
        assert_eq!(
            "VRDGPP80F01B157X".parse::<FiscalCode>(),
            Err(FiscalCodeError::Month('F'))
        );
        assert_eq!(
            person_code("VRDGPP80A32B157").parse::<FiscalCode>(),
            Err(FiscalCodeError::Day(32))
        );
        assert_eq!(
            "12345678904".parse::<FiscalCode>(),
            Err(FiscalCodeError::Check { expected: '3' })
        );
        assert!(matches!(
            "1234567890A".parse::<FiscalCode>(),
            Err(FiscalCodeError::Character { position: 11 })
        ));
    }

    #[test]
    fn debug_and_masked_hide_the_middle() {
        let code: FiscalCode = "VRDGPP80A01B157X".parse().unwrap();
        assert_eq!(code.masked(), "VRD**********57X");
        assert!(!format!("{code:?}").contains("GPP80"));
    }

    fn valid_person() -> impl Strategy<Value = String> {
        (
            "[A-Z]{6}",
            "[0-9LMNPQRSTUV]{2}",
            proptest::sample::select(MONTH_LETTERS.to_vec()),
            prop_oneof![1u32..=31, 41u32..=71],
            "[A-Z]",
            "[0-9LMNPQRSTUV]{3}",
        )
            .prop_map(|(name, year, month, day, town, digits)| {
                person_code(&format!("{name}{year}{}{day:02}{town}{digits}", char::from(month)))
            })
    }

    proptest! {
        #[test]
        fn valid_persons_round_trip(code in valid_person()) {
            let parsed: FiscalCode = code.parse().unwrap();
            prop_assert_eq!(parsed.to_string(), code.clone());
            let json = serde_json::to_string(&parsed).unwrap();
            prop_assert_eq!(&json, &format!("\"{code}\""));
            prop_assert_eq!(serde_json::from_str::<FiscalCode>(&json).unwrap(), parsed);
        }

        #[test]
        fn valid_entities_round_trip(first_ten in "[0-9]{10}") {
            let code = format!("{first_ten}{}", char::from(luhn_it_check_digit(first_ten.as_bytes())));
            let parsed: FiscalCode = code.parse().unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
        }

        #[test]
        fn a_wrong_check_character_is_refused(code in valid_person(), shift in 1u8..26) {
            let mut bytes = code.into_bytes();
            bytes[15] = b'A' + (bytes[15] - b'A' + shift) % 26;
            let wrong = String::from_utf8(bytes).unwrap();
            let is_check_error = matches!(wrong.parse::<FiscalCode>(), Err(FiscalCodeError::Check { .. }));
            prop_assert!(is_check_error);
        }

        #[test]
        fn a_wrong_check_digit_is_refused(first_ten in "[0-9]{10}", shift in 1u8..10) {
            let good = luhn_it_check_digit(first_ten.as_bytes());
            let wrong = b'0' + (good - b'0' + shift) % 10;
            let code = format!("{first_ten}{}", char::from(wrong));
            let is_check_error = matches!(code.parse::<FiscalCode>(), Err(FiscalCodeError::Check { .. }));
            prop_assert!(is_check_error);
        }

        #[test]
        fn wrong_lengths_are_refused(code in "[A-Z0-9]{0,30}") {
            prop_assume!(code.len() != 16 && code.len() != 11);
            prop_assert_eq!(code.parse::<FiscalCode>(), Err(FiscalCodeError::Length(code.len())));
        }

        #[test]
        fn arbitrary_input_never_panics(raw in ".{0,20}") {
            let _ = raw.parse::<FiscalCode>();
        }
    }
}
