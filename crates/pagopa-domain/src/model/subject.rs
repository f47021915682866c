//! Debtors and payers (`ctSubject`), e-mail addresses and metadata maps.

use std::fmt;
use std::str::FromStr;

use crate::value::{FiscalCode, FiscalCodeKind, Text};

/// Who a subject is to pagoPA: a fiscal code, or `ANONIMO` for an anonymous spontaneous payment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum SubjectId {
    /// A person (16 characters, type `F`) or an entity (11 digits, type `G`).
    FiscalCode(FiscalCode),
    /// No fiscal code given: pagoPA's `ANONIMO`, type `F`.
    Anonymous,
}

impl SubjectId {
    /// The pagoPA `entityUniqueIdentifierType`: `F` for a natural person, `G` for a legal one.
    pub fn entity_type(&self) -> char {
        match self {
            Self::FiscalCode(code) if code.kind() == FiscalCodeKind::Entity => 'G',
            _ => 'F',
        }
    }

    /// The pagoPA `entityUniqueIdentifierValue`.
    pub fn value(&self) -> &str {
        match self {
            Self::FiscalCode(code) => code.as_str(),
            Self::Anonymous => "ANONIMO",
        }
    }

    /// The fiscal code, unless anonymous.
    pub fn fiscal_code(&self) -> Option<&FiscalCode> {
        match self {
            Self::FiscalCode(code) => Some(code),
            Self::Anonymous => None,
        }
    }
}

/// A debtor or payer as pagoPA's `ctSubject` carries it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subject {
    /// Fiscal code or anonymous.
    pub id: SubjectId,
    /// Name and surname, or company name.
    pub full_name: Text<70>,
    /// Street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<Text<70>>,
    /// Civic number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civic_number: Option<Text<16>>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<Text<16>>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Text<35>>,
    /// Province or region (`stateProvinceRegion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<Text<35>>,
    /// ISO 3166 two-letter country code, upper case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

impl Subject {
    /// A subject with only an id and a name.
    pub fn new(id: SubjectId, full_name: Text<70>) -> Self {
        Self {
            id,
            full_name,
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            province: None,
            country: None,
            email: None,
        }
    }
}

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $error:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidText;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                let check: fn(&str) -> bool = $check;
                if check(raw) { Ok(Self(raw.to_owned())) } else { Err(InvalidText($error)) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        crate::value::serde_via_str!($name);
    };
}

/// A string that does not have the shape its type requires; the message says which.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidText(pub &'static str);

checked_string!(
    /// An e-mail address as pagoPA's `stEMail` takes it
    /// (`[a-zA-Z0-9_\.\+\-]+@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*`, at most 256 characters), with
    /// a dotted domain.
    Email,
    "not an e-mail address (name@domain.tld)",
    |raw| {
        let Some((local, domain)) = raw.split_once('@') else { return false };
        raw.len() <= 256
            && !local.is_empty()
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'))
            && domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    }
);
checked_string!(
    /// An ISO 3166 alpha-2 country code, upper case (`IT`).
    CountryCode,
    "a country code is two upper-case letters",
    |raw| raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_uppercase())
);
checked_string!(
    /// A two-letter Italian province code, upper case (`BS`), as the digital stamp's
    /// `provinciaResidenza` needs it.
    Province,
    "a province code is two upper-case letters",
    |raw| raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_uppercase())
);

/// One key/value pair of a pagoPA metadata map.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MetadataEntry {
    /// The key.
    pub key: Text<140>,
    /// The value.
    pub value: Text<140>,
}

/// A pagoPA metadata map (`ctMetadata`): at most 15 entries, opaque to pagoPA and echoed in the
/// receipt.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<MetadataEntry>", into = "Vec<MetadataEntry>")]
pub struct Metadata(Vec<MetadataEntry>);

/// More than 15 metadata entries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a metadata map has at most {max} entries, not {actual}", max = Metadata::MAX_ENTRIES)]
pub struct TooManyEntries {
    /// How many there were.
    pub actual: usize,
}

impl Metadata {
    /// The most entries pagoPA accepts.
    pub const MAX_ENTRIES: usize = 15;

    /// The entries.
    pub fn entries(&self) -> &[MetadataEntry] {
        &self.0
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|e| e.key.as_str() == key).map(|e| e.value.as_str())
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, key: Text<140>, value: Text<140>) -> Result<(), TooManyEntries> {
        if let Some(entry) = self.0.iter_mut().find(|e| e.key == key) {
            entry.value = value;
            return Ok(());
        }
        if self.0.len() == Self::MAX_ENTRIES {
            return Err(TooManyEntries {
                actual: Self::MAX_ENTRIES + 1,
            });
        }
        self.0.push(MetadataEntry { key, value });
        Ok(())
    }
}

impl TryFrom<Vec<MetadataEntry>> for Metadata {
    type Error = TooManyEntries;

    fn try_from(entries: Vec<MetadataEntry>) -> Result<Self, Self::Error> {
        if entries.len() > Self::MAX_ENTRIES {
            return Err(TooManyEntries { actual: entries.len() });
        }
        Ok(Self(entries))
    }
}

impl From<Metadata> for Vec<MetadataEntry> {
    fn from(metadata: Metadata) -> Self {
        metadata.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!("giuseppe.verdi@example.it".parse::<Email>().is_ok());
        for bad in ["", "a", "a@b", "@b.it", "a@@b.it", "a b@c.it", "a@.it", "a@b."] {
            assert!(bad.parse::<Email>().is_err(), "{bad}");
        }
        // Exactly what pagoPA's stEMail takes, so every stored address can be sent to the Node.
        assert!("giuseppe.verdi@example.org".parse::<Email>().is_ok());
        assert!("a+b_c-d@x-y.it".parse::<Email>().is_ok());
        for bad in ["o'brien@example.org", "perché@example.org", "a@b..it", "a@"] {
            assert!(bad.parse::<Email>().is_err(), "{bad}");
        }
    }

    #[test]
    fn subject_types() {
        let person = SubjectId::FiscalCode("VRDGPP80A01B157X".parse().unwrap());
        assert_eq!(person.entity_type(), 'F');
        let company = SubjectId::FiscalCode("12345678903".parse().unwrap());
        assert_eq!(company.entity_type(), 'G');
        assert_eq!(SubjectId::Anonymous.value(), "ANONIMO");
    }

    #[test]
    fn metadata_is_capped() {
        let mut metadata = Metadata::default();
        for i in 0..Metadata::MAX_ENTRIES {
            metadata
                .insert(format!("k{i}").parse().unwrap(), "v".parse().unwrap())
                .unwrap();
        }
        assert!(metadata.insert("k0".parse().unwrap(), "w".parse().unwrap()).is_ok());
        assert_eq!(metadata.get("k0"), Some("w"));
        assert!(metadata.insert("extra".parse().unwrap(), "v".parse().unwrap()).is_err());
        let entries: Vec<MetadataEntry> = metadata.clone().into();
        let mut too_many = entries;
        too_many.push(MetadataEntry {
            key: "x".parse().unwrap(),
            value: "y".parse().unwrap(),
        });
        assert!(Metadata::try_from(too_many).is_err());
    }
}
