use std::fmt;
use std::str::FromStr;

use super::{Iuv, serde_via_str};

/// How an Ente's notice numbers are laid out: the aux digit and, for aux digits 0 and 3, the
/// two-digit application or segregation code assigned to the station. It fixes how many digits the
/// IUV base has and whether check digits follow (protocol §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "aux_digit")]
pub enum NoticeLayout {
    /// `0` + application code (2) + base (13) + check digits (2). Being phased out by pagoPA.
    #[serde(rename = "0")]
    Aux0 {
        /// The station's application code, 00..99.
        application_code: u8,
    },
    /// `1` + base (17), no check digits (legacy).
    #[serde(rename = "1")]
    Aux1,
    /// `2` + base (15) + check digits (2): a single IUV generator.
    #[serde(rename = "2")]
    Aux2,
    /// `3` + segregation code (2) + base (13) + check digits (2): the usual layout today.
    #[serde(rename = "3")]
    Aux3 {
        /// The station's segregation code, 00..99 (Enti get 00..49).
        segregation_code: u8,
    },
}

impl NoticeLayout {
    /// The aux digit, 0..=3.
    pub fn aux_digit(self) -> u8 {
        match self {
            Self::Aux0 { .. } => 0,
            Self::Aux1 => 1,
            Self::Aux2 => 2,
            Self::Aux3 { .. } => 3,
        }
    }

    /// How many digits the IUV base has in this layout.
    pub fn base_digits(self) -> u32 {
        match self {
            Self::Aux0 { .. } | Self::Aux3 { .. } => 13,
            Self::Aux1 => 17,
            Self::Aux2 => 15,
        }
    }

    /// The largest IUV base this layout can hold.
    pub fn max_base(self) -> u64 {
        10u64.pow(self.base_digits()) - 1
    }

    /// Whether a notice number in this layout ends with two check digits.
    pub fn has_check_digits(self) -> bool {
        !matches!(self, Self::Aux1)
    }

    /// The two-digit code after the aux digit, if the layout has one.
    pub fn code(self) -> Option<u8> {
        match self {
            Self::Aux0 { application_code } => Some(application_code),
            Self::Aux3 { segregation_code } => Some(segregation_code),
            Self::Aux1 | Self::Aux2 => None,
        }
    }
}

/// An 18-digit pagoPA notice number (codice avviso, NAV): what the citizen's notice prints and the
/// Node sends in `qrCode.noticeNumber`. Parsing checks the aux digit, the two-digit code where the
/// layout has one, and the mod-93 check digits.
///
/// ```
/// use pagopa_domain::{NoticeLayout, NoticeNumber};
///
/// let notice: NoticeNumber = "302032002700000251".parse().unwrap();
/// assert_eq!(notice.iuv().as_str(), "02032002700000251");
/// assert_eq!(notice.to_print_form(), "3020 3200 2700 0002 51");
///
/// let built = NoticeNumber::build(NoticeLayout::Aux3 { segregation_code: 5 }, 2_601_000_004_711).unwrap();
/// assert_eq!(built.as_str(), "305260100000471130");
/// assert!("302032002700000252".parse::<NoticeNumber>().is_err()); // check digits
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeNumber(String);

/// Why a string (or a layout and base) is not a [`NoticeNumber`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeNumberError {
    /// Not 18 characters long.
    #[error("a notice number has 18 digits, not {0}")]
    Length(usize),
    /// Contains something other than digits.
    #[error("a notice number has digits only")]
    NotDigits,
    /// The first digit is not 0, 1, 2 or 3.
    #[error("the aux digit must be 0, 1, 2 or 3, not {0}")]
    AuxDigit(u8),
    /// The check digits do not match the first 16 digits.
    #[error("the check digits are wrong: expected {expected:02}")]
    CheckDigits {
        /// The check digits the first 16 digits give.
        expected: u8,
    },
    /// A code above 99 or a base with more digits than the layout holds.
    #[error("the IUV base {base} does not fit the layout (at most {max})")]
    BaseTooLarge {
        /// The base given.
        base: u64,
        /// The largest base the layout holds.
        max: u64,
    },
    /// An application or segregation code above 99.
    #[error("an application or segregation code has two digits, not {0}")]
    Code(u8),
}

/// The mod-93 check digits of the 16 digits before them.
fn check_digits(first_sixteen: u64) -> u8 {
    // A remainder of 93 fits in u8.
    (first_sixteen % 93) as u8
}

impl NoticeNumber {
    /// Builds the notice number of `base` in `layout`, computing the check digits.
    pub fn build(layout: NoticeLayout, base: u64) -> Result<Self, NoticeNumberError> {
        if let Some(code) = layout.code()
            && code > 99
        {
            return Err(NoticeNumberError::Code(code));
        }
        if base > layout.max_base() {
            return Err(NoticeNumberError::BaseTooLarge {
                base,
                max: layout.max_base(),
            });
        }
        let aux = layout.aux_digit();
        let digits = match layout {
            NoticeLayout::Aux1 => format!("1{base:017}"),
            NoticeLayout::Aux2 => {
                let head = 2 * 10u64.pow(15) + base;
                format!("{head:016}{:02}", check_digits(head))
            }
            NoticeLayout::Aux0 { application_code: code } | NoticeLayout::Aux3 { segregation_code: code } => {
                let head = u64::from(aux) * 10u64.pow(15) + u64::from(code) * 10u64.pow(13) + base;
                format!("{head:016}{:02}", check_digits(head))
            }
        };
        Ok(Self(digits))
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The aux digit, 0..=3.
    pub fn aux_digit(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    /// The layout this number follows (aux digit and its code).
    pub fn layout(&self) -> NoticeLayout {
        let code = || self.0[1..3].parse().unwrap_or_default();
        match self.aux_digit() {
            0 => NoticeLayout::Aux0 {
                application_code: code(),
            },
            1 => NoticeLayout::Aux1,
            2 => NoticeLayout::Aux2,
            _ => NoticeLayout::Aux3 {
                segregation_code: code(),
            },
        }
    }

    /// The IUV (= SOAP `creditorReferenceId`): the number without its aux digit, and for aux digit 0
    /// also without the application code.
    pub fn iuv(&self) -> Iuv {
        match self.aux_digit() {
            0 => Iuv::from_notice_digits(&self.0[3..]),
            _ => Iuv::from_notice_digits(&self.0[1..]),
        }
    }

    /// The IUV base: the digits between the layout's prefix and the check digits.
    pub fn base(&self) -> u64 {
        let layout = self.layout();
        let start = if layout.code().is_some() { 3 } else { 1 };
        let end = if layout.has_check_digits() { 16 } else { 18 };
        self.0[start..end].parse().unwrap_or_default()
    }

    /// The number in groups of four digits, as printed on a payment notice: `3020 3200 2700 0002 51`.
    pub fn to_print_form(&self) -> String {
        let mut out = String::with_capacity(22);
        for (index, c) in self.0.chars().enumerate() {
            if index > 0 && index % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl FromStr for NoticeNumber {
    type Err = NoticeNumberError;

    /// Parses 18 digits; spaces (the print form) are ignored.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let digits: String = raw.chars().filter(|c| *c != ' ').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NoticeNumberError::NotDigits);
        }
        if digits.len() != 18 {
            return Err(NoticeNumberError::Length(digits.len()));
        }
        let aux = digits.as_bytes()[0] - b'0';
        if aux > 3 {
            return Err(NoticeNumberError::AuxDigit(aux));
        }
        if aux != 1 {
            // Sixteen ASCII digits always fit in u64.
            let head: u64 = digits[..16].parse().map_err(|_| NoticeNumberError::NotDigits)?;
            let expected = check_digits(head);
            if digits[16..] != format!("{expected:02}") {
                return Err(NoticeNumberError::CheckDigits { expected });
            }
        }
        Ok(Self(digits))
    }
}

impl fmt::Display for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoticeNumber({})", self.0)
    }
}

serde_via_str!(NoticeNumber);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn worked_examples_of_the_protocol() {
        let n: NoticeNumber = "302032002700000251".parse().unwrap();
        assert_eq!(n.layout(), NoticeLayout::Aux3 { segregation_code: 2 });
        assert_eq!(n.iuv().as_str(), "02032002700000251");
        assert_eq!(n.base(), 320_027_000_002);

        let n: NoticeNumber = "347164993070184562".parse().unwrap();
        assert_eq!(n.layout(), NoticeLayout::Aux3 { segregation_code: 47 });

        let n: NoticeNumber = "002160020399398578".parse().unwrap();
        assert_eq!(n.layout(), NoticeLayout::Aux0 { application_code: 2 });
        assert_eq!(n.iuv().as_str(), "160020399398578");

        assert_eq!(
            "311111111112222222".parse::<NoticeNumber>(),
            Err(NoticeNumberError::CheckDigits { expected: 47 })
        );
    }

    #[test]
    fn sample_scenario_numbers() {
        let seg5 = NoticeLayout::Aux3 { segregation_code: 5 };
        for (base, expected) in [
            (2_601_000_004_711, "305260100000471130"),
            (2_607_000_000_318, "305260700000031811"),
            (2_503_000_001_942, "305250300000194264"),
            (2_609_000_000_057, "305260900000005761"),
            (2_601_000_091_234, "305260100009123463"),
        ] {
            assert_eq!(NoticeNumber::build(seg5, base).unwrap().as_str(), expected);
        }
        assert_eq!(
            NoticeNumber::build(NoticeLayout::Aux3 { segregation_code: 1 }, 1)
                .unwrap()
                .as_str(),
            "301000000000000144"
        );
    }

    #[test]
    fn each_malformation_has_its_error() {
        assert_eq!(
            "30203200270000025".parse::<NoticeNumber>(),
            Err(NoticeNumberError::Length(17))
        );
        assert_eq!(
            "30203200270000025X".parse::<NoticeNumber>(),
            Err(NoticeNumberError::NotDigits)
        );
        assert_eq!(
            "402032002700000251".parse::<NoticeNumber>(),
            Err(NoticeNumberError::AuxDigit(4))
        );
        assert_eq!(
            NoticeNumber::build(NoticeLayout::Aux3 { segregation_code: 5 }, 10_000_000_000_000),
            Err(NoticeNumberError::BaseTooLarge {
                base: 10_000_000_000_000,
                max: 9_999_999_999_999
            })
        );
        assert_eq!(
            NoticeNumber::build(NoticeLayout::Aux3 { segregation_code: 100 }, 1),
            Err(NoticeNumberError::Code(100))
        );
        assert_eq!(
            "3020 3200 2700 0002 51".parse::<NoticeNumber>().unwrap().as_str(),
            "302032002700000251"
        );
    }

    fn any_layout() -> impl Strategy<Value = NoticeLayout> {
        prop_oneof![
            (0u8..100).prop_map(|application_code| NoticeLayout::Aux0 { application_code }),
            Just(NoticeLayout::Aux1),
            Just(NoticeLayout::Aux2),
            (0u8..100).prop_map(|segregation_code| NoticeLayout::Aux3 { segregation_code }),
        ]
    }

    proptest! {
        #[test]
        fn built_numbers_round_trip(layout in any_layout(), seed in any::<u64>()) {
            let base = seed % (layout.max_base() + 1);
            let notice = NoticeNumber::build(layout, base).unwrap();
            let parsed: NoticeNumber = notice.as_str().parse().unwrap();
            prop_assert_eq!(&parsed, &notice);
            prop_assert_eq!(parsed.layout(), layout);
            prop_assert_eq!(parsed.base(), base);
            prop_assert_eq!(parsed.to_print_form().parse::<NoticeNumber>().unwrap(), notice.clone());
            let iuv_len = if layout.aux_digit() == 0 { 15 } else { 17 };
            prop_assert_eq!(parsed.iuv().as_str().len(), iuv_len);
            let json = serde_json::to_string(&notice).unwrap();
            prop_assert_eq!(serde_json::from_str::<NoticeNumber>(&json).unwrap(), notice);
        }

        #[test]
        fn wrong_check_digits_are_refused(layout in any_layout(), seed in any::<u64>(), shift in 1u64..93) {
            prop_assume!(layout.has_check_digits());
            let notice = NoticeNumber::build(layout, seed % (layout.max_base() + 1)).unwrap();
            let good: u64 = notice.as_str()[16..].parse().unwrap();
            let wrong = format!("{}{:02}", &notice.as_str()[..16], (good + shift) % 93);
            let is_check_error = matches!(wrong.parse::<NoticeNumber>(), Err(NoticeNumberError::CheckDigits { .. }));
            prop_assert!(is_check_error);
        }

        #[test]
        fn bad_aux_digits_are_refused(aux in 4u8..10, rest in "[0-9]{17}") {
            prop_assert_eq!(format!("{aux}{rest}").parse::<NoticeNumber>(), Err(NoticeNumberError::AuxDigit(aux)));
        }

        #[test]
        fn wrong_lengths_are_refused(digits in "[0-9]{0,30}") {
            prop_assume!(digits.len() != 18);
            prop_assert_eq!(digits.parse::<NoticeNumber>(), Err(NoticeNumberError::Length(digits.len())));
        }
    }
}
