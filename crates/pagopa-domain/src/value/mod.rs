//! Value types that cannot hold invalid data: each one is parsed once, at the edge, and then trusted.

mod amount;
mod category;
mod ente_id;
mod fiscal_code;
mod iban;
mod iuv;
mod notice_number;
mod text;

pub use amount::{AmountCents, AmountError};
pub use category::{CategoryError, TransferCategory};
pub use ente_id::{EnteId, EnteIdError};
pub use fiscal_code::{FiscalCode, FiscalCodeError, FiscalCodeKind};
pub use iban::{Iban, IbanError};
pub use iuv::{Iuv, IuvError};
pub use notice_number::{NoticeLayout, NoticeNumber, NoticeNumberError};
pub use text::{Text, TextError, excerpt};

/// Serialises a value type as the string its `Display` writes and deserialises it through `FromStr`,
/// so a JSON document can never smuggle in a value the parser would refuse.
macro_rules! serde_via_str {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;

/// The weights of the Italian fiscal-code check character for characters in odd positions
/// (1st, 3rd, …): digits 0-9 first, then letters A-Z. Shared by the personal fiscal code and the
/// Italian IBAN's CIN, which use the same algorithm.
const ODD_WEIGHTS_DIGITS: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const ODD_WEIGHTS_LETTERS: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// The check character of the odd/even table algorithm over upper-case ASCII letters and digits.
/// Returns `None` for any other byte.
pub(crate) fn odd_even_check_letter(chars: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (index, &c) in chars.iter().enumerate() {
        let odd_position = index % 2 == 0; // positions count from 1
        let weight = match (c, odd_position) {
            (b'0'..=b'9', true) => ODD_WEIGHTS_DIGITS[usize::from(c - b'0')],
            (b'A'..=b'Z', true) => ODD_WEIGHTS_LETTERS[usize::from(c - b'A')],
            (b'0'..=b'9', false) => u32::from(c - b'0'),
            (b'A'..=b'Z', false) => u32::from(c - b'A'),
            _ => return None,
        };
        sum += weight;
    }
    // `sum % 26` is below 26, so the cast cannot truncate.
    Some(b'A' + (sum % 26) as u8)
}

/// The check digit of an 11-digit Italian numeric fiscal code (partita IVA, codice fiscale of an
/// entity) over its first ten digits: odd positions as they are, even positions doubled (minus 9
/// above 9), then `(10 - sum mod 10) mod 10`.
pub(crate) fn luhn_it_check_digit(first_ten: &[u8]) -> u8 {
    let sum: u32 = first_ten
        .iter()
        .enumerate()
        .map(|(index, &c)| {
            let digit = u32::from(c - b'0');
            if index % 2 == 0 {
                digit
            } else if digit * 2 > 9 {
                digit * 2 - 9
            } else {
                digit * 2
            }
        })
        .sum();
    // The result is a single digit, so the cast cannot truncate.
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// ISO 7064 mod 97-10 over upper-case letters and digits, with the first four characters moved
/// to the end (letters count A = 10 … Z = 35): the check of IBANs and of ISO 11649 `RF` creditor
/// references, both valid when the result is 1.
pub(crate) fn mod97(text: &str) -> u32 {
    let rearranged = text[4..].bytes().chain(text[..4].bytes());
    rearranged.fold(0u32, |acc, b| {
        if b.is_ascii_digit() {
            (acc * 10 + u32::from(b - b'0')) % 97
        } else {
            (acc * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}
