use std::fmt;
use std::str::FromStr;

use super::{mod97, odd_even_check_letter, serde_via_str};

/// An International Bank Account Number (ISO 13616), checked with the mod-97 rule and, for the
/// countries in the SEPA table below, the national length. Spaces are ignored and lower case is
/// normalised. An Italian IBAN is also checked for its CIN character, and knows whether it is a
/// Poste Italiane (postal) account, which pagoPA needs for `allCCP` and `transferType=POSTAL`.
///
/// ```
/// use pagopa_domain::Iban;
///
/// let postal: Iban = "IT60 J076 0111 2000 0001 2345 679".parse().unwrap();
/// assert!(postal.is_italian_postal());
/// assert_eq!(postal.as_str(), "IT60J0760111200000012345679");
/// assert!("IT61J0760111200000012345679".parse::<Iban>().is_err()); // checksum
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iban(String);

/// Why a string is not an [`Iban`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IbanError {
    /// Shorter than 15 or longer than 34 characters, or not the length its country prescribes.
    #[error("an IBAN of this country has {expected} characters, not {actual}")]
    Length {
        /// The length required (34 stands for "at most 34" when the country is not in the table).
        expected: usize,
        /// The length found, spaces removed.
        actual: usize,
    },
    /// The country code is not two letters or the check digits are not two digits.
    #[error("an IBAN starts with two letters (country) and two check digits")]
    Prefix,
    /// A character other than letters and digits.
    #[error("an IBAN contains letters and digits only")]
    Character,
    /// The mod-97 checksum fails.
    #[error("the IBAN check digits are wrong")]
    Checksum,
    /// An Italian IBAN whose national structure (CIN letter, 5-digit ABI and CAB) is wrong.
    #[error("the Italian IBAN structure (CIN, ABI, CAB) is wrong")]
    ItalianStructure,
}

/// National IBAN lengths of the SEPA countries an Ente is likely to meet.
const LENGTHS: &[(&str, usize)] = &[
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
];

/// ABI code of Poste Italiane.
const POSTE_ABI: &str = "07601";

impl Iban {
    /// The IBAN in electronic form: upper case, no spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO 3166 country code.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// Whether this is an Italian postal current account (ABI 07601, Poste Italiane).
    pub fn is_italian_postal(&self) -> bool {
        self.country() == "IT" && &self.0[5..10] == POSTE_ABI
    }

    /// The 12-digit postal account number of an Italian postal IBAN (what the Bollettino PA and
    /// its Data Matrix print), or `None` for any other IBAN.
    pub fn postal_account(&self) -> Option<&str> {
        self.is_italian_postal().then(|| &self.0[15..27])
    }

    /// The IBAN in groups of four for print.
    pub fn to_print_form(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (index, c) in self.0.chars().enumerate() {
            if index > 0 && index % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl FromStr for Iban {
    type Err = IbanError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let iban: String = raw
            .chars()
            .filter(|c| *c != ' ')
            .collect::<String>()
            .to_ascii_uppercase();
        if !iban.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(IbanError::Character);
        }
        let actual = iban.len();
        if !(15..=34).contains(&actual) {
            return Err(IbanError::Length {
                expected: if actual < 15 { 15 } else { 34 },
                actual,
            });
        }
        let bytes = iban.as_bytes();
        if !bytes[..2].iter().all(u8::is_ascii_uppercase) || !bytes[2..4].iter().all(u8::is_ascii_digit) {
            return Err(IbanError::Prefix);
        }
        if let Some((_, expected)) = LENGTHS.iter().find(|(country, _)| *country == &iban[..2])
            && *expected != actual
        {
            return Err(IbanError::Length {
                expected: *expected,
                actual,
            });
        }
        if mod97(&iban) != 1 {
            return Err(IbanError::Checksum);
        }
        if matches!(&iban[..2], "IT" | "SM") {
            let national = &bytes[5..];
            let numeric_bank_codes = national[..10].iter().all(u8::is_ascii_digit);
            if !numeric_bank_codes || odd_even_check_letter(national) != Some(bytes[4]) {
                return Err(IbanError::ItalianStructure);
            }
        }
        Ok(Self(iban))
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({})", self.0)
    }
}

serde_via_str!(Iban);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Builds a valid Italian IBAN from ABI, CAB and a 12-character account.
    fn italian(abi: &str, cab: &str, account: &str) -> String {
        let national = format!("{abi}{cab}{account}");
        let cin = char::from(odd_even_check_letter(national.as_bytes()).unwrap());
        let provisional = format!("IT00{cin}{national}");
        let check = 98 - mod97(&provisional);
        format!("IT{check:02}{cin}{national}")
    }

    #[test]
    fn sample_ibans() {
        let bank: Iban = "IT56M0306911200000000046020".parse().unwrap();
        assert!(!bank.is_italian_postal());
        assert_eq!(bank.postal_account(), None);
        let postal: Iban = "it60j0760111200000012345679".parse().unwrap();
        assert_eq!(postal.postal_account(), Some("000012345679"));
        assert_eq!(postal.to_print_form(), "IT60 J076 0111 2000 0001 2345 679");
        assert!("DE89370400440532013000".parse::<Iban>().is_ok());
        assert_eq!(italian("03069", "11200", "000000046020"), "IT56M0306911200000000046020");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            "IT56M030691120000000004602".parse::<Iban>(),
            Err(IbanError::Length {
                expected: 27,
                actual: 26
            })
        );
        assert_eq!("IT57M0306911200000000046020".parse::<Iban>(), Err(IbanError::Checksum));
        assert_eq!("IT56M03069112000000000460-0".parse::<Iban>(), Err(IbanError::Character));
        assert_eq!("1T56M0306911200000000046020".parse::<Iban>(), Err(IbanError::Prefix));
        assert!(matches!("IT12".parse::<Iban>(), Err(IbanError::Length { .. })));
        // Valid mod 97 but the CIN letter does not match ABI+CAB+account.
        let national = "0306911200000000046020";
        let provisional = format!("IT00A{national}");
        let wrong_cin = format!("IT{:02}A{national}", 98 - mod97(&provisional));
        assert_eq!(wrong_cin.parse::<Iban>(), Err(IbanError::ItalianStructure));
    }

    proptest! {
        #[test]
        fn italian_ibans_round_trip(abi in "[0-9]{5}", cab in "[0-9]{5}", account in "[0-9A-Z]{12}") {
            let text = italian(&abi, &cab, &account);
            let iban: Iban = text.parse().unwrap();
            prop_assert_eq!(iban.to_string(), text.clone());
            prop_assert_eq!(iban.is_italian_postal(), abi == POSTE_ABI);
            prop_assert_eq!(iban.to_print_form().parse::<Iban>().unwrap(), iban.clone());
            let json = serde_json::to_string(&iban).unwrap();
            prop_assert_eq!(serde_json::from_str::<Iban>(&json).unwrap(), iban);
        }

        #[test]
        fn a_changed_digit_breaks_the_checksum(abi in "[0-9]{5}", cab in "[0-9]{5}", account in "[0-9]{12}", at in 5usize..27, shift in 1u8..10) {
            let mut bytes = italian(&abi, &cab, &account).into_bytes();
            bytes[at] = b'0' + (bytes[at] - b'0' + shift) % 10;
            let text = String::from_utf8(bytes).unwrap();
            prop_assert!(text.parse::<Iban>().is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(raw in ".{0,40}") {
            let _ = raw.parse::<Iban>();
        }
    }
}
