//! The form a spontaneous service asks the citizen to fill in, and its server-side validation.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::Decimal;
use crate::model::Email;
use crate::value::{FiscalCode, Text};

/// The name of a form field: `[a-z][a-z0-9_]*`, at most 40 characters. It is the key of the
/// submitted values and the variable name in pricing formulas.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldName(String);

/// A string that is not a valid [`FieldName`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a field name is a lower-case letter followed by up to 39 lower-case letters, digits or '_': {0:?}")]
pub struct FieldNameError(pub String);

impl FieldName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FieldName {
    type Err = FieldNameError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bytes = raw.as_bytes();
        let ok = (1..=40).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldNameError(raw.to_owned()))
        }
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldName({})", self.0)
    }
}

crate::value::serde_via_str!(FieldName);

/// A regular expression a text field must match in full. Kept with its source text, which is
/// what is stored and shown (as JSON Schema `pattern`).
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: regex_lite::Regex,
}

/// A pattern that does not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid pattern: {0}")]
pub struct PatternError(pub String);

impl Pattern {
    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(source: &str) -> Result<Self, Self::Err> {
        let regex = regex_lite::Regex::new(&format!("^(?:{source})$")).map_err(|e| PatternError(e.to_string()))?;
        Ok(Self {
            source: source.to_owned(),
            regex,
        })
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({})", self.source)
    }
}

crate::value::serde_via_str!(Pattern);

/// One allowed value of a choice field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    /// The value submitted and priced on.
    pub value: Text<70>,
    /// What the citizen reads.
    pub label: Text<140>,
}

/// The kind of a field and its constraints.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum FieldKind {
    /// Free text.
    Text {
        /// Fewest characters.
        min_length: Option<u32>,
        /// Most characters (at most 1000 in any case).
        max_length: Option<u32>,
        /// A regular expression the whole text must match.
        pattern: Option<Pattern>,
    },
    /// A decimal number.
    Number {
        /// Smallest value.
        min: Option<Decimal>,
        /// Largest value.
        max: Option<Decimal>,
        /// Most decimals allowed (0 for whole numbers).
        decimals: u8,
    },
    /// A date, `YYYY-MM-DD`.
    Date {
        /// Earliest date.
        min: Option<NaiveDate>,
        /// Latest date.
        max: Option<NaiveDate>,
    },
    /// One of a list of values.
    Choice {
        /// The allowed values.
        choices: Vec<Choice>,
    },
    /// Yes or no (`true`/`false`).
    Boolean,
    /// An Italian fiscal code.
    FiscalCode,
    /// An e-mail address.
    Email,
}

/// One field of a form.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Field {
    /// Key of the value.
    pub name: FieldName,
    /// What the citizen reads.
    pub label: Text<140>,
    /// An explanation, if useful.
    pub help: Option<Text<500>>,
    /// Whether a value must be given.
    pub required: bool,
    /// Kind and constraints.
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// A form: an ordered list of fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Form {
    /// The fields, in display order.
    pub fields: Vec<Field>,
}

/// A validated value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum FieldValue {
    /// Text.
    Text(String),
    /// Number.
    Number(Decimal),
    /// Date.
    Date(NaiveDate),
    /// The chosen value.
    Choice(String),
    /// Yes or no.
    Boolean(bool),
    /// A fiscal code.
    FiscalCode(FiscalCode),
    /// An e-mail address.
    Email(Email),
}

impl FieldValue {
    /// The value as text, as the gestionale and remittance templates see it.
    pub fn to_text(&self) -> String {
        match self {
            Self::Text(s) | Self::Choice(s) => s.clone(),
            Self::Number(n) => n.to_string(),
            Self::Date(d) => d.to_string(),
            Self::Boolean(b) => b.to_string(),
            Self::FiscalCode(c) => c.to_string(),
            Self::Email(e) => e.to_string(),
        }
    }
}

/// What is wrong with one submitted value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "problem")]
#[non_exhaustive]
pub enum FieldProblem {
    /// A required field has no value.
    #[error("a value is required")]
    Missing,
    /// The form has no such field.
    #[error("the form has no such field")]
    Unknown,
    /// Text too short.
    #[error("at least {min} characters")]
    TooShort {
        /// Minimum length.
        min: u32,
    },
    /// Text too long.
    #[error("at most {max} characters")]
    TooLong {
        /// Maximum length.
        max: u32,
    },
    /// Text does not match the pattern.
    #[error("does not match the required format")]
    Pattern,
    /// Text with control characters.
    #[error("contains control characters")]
    Control,
    /// Not a number.
    #[error("not a number")]
    NotANumber,
    /// More decimals than allowed.
    #[error("at most {max} decimals")]
    TooManyDecimals {
        /// Allowed decimals.
        max: u8,
    },
    /// Below the minimum.
    #[error("must be at least {min}")]
    BelowMinimum {
        /// The minimum, as text.
        min: String,
    },
    /// Above the maximum.
    #[error("must be at most {max}")]
    AboveMaximum {
        /// The maximum, as text.
        max: String,
    },
    /// Not a `YYYY-MM-DD` date.
    #[error("not a date (YYYY-MM-DD)")]
    NotADate,
    /// Not one of the choices.
    #[error("not one of the allowed values")]
    NotAChoice,
    /// Not `true` or `false`.
    #[error("not true or false")]
    NotABoolean,
    /// Not a valid fiscal code; says why.
    #[error("not a valid fiscal code: {reason}")]
    FiscalCode {
        /// Why.
        reason: String,
    },
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    Email,
    /// A value that is not text, a number or a boolean (a list, an object).
    #[error("must be a text, a number or true/false")]
    WrongType,
}

/// A problem with one field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The field, as submitted.
    pub field: String,
    /// What is wrong.
    #[serde(flatten)]
    pub problem: FieldProblem,
}

/// The values of a form after validation, keyed by field name. Optional fields left empty are
/// absent.
pub type FormValues = BTreeMap<FieldName, FieldValue>;

impl Form {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name.as_str() == name)
    }

    /// Validates submitted text values (empty strings count as absent) and returns the typed
    /// values, or every problem found, one per field.
    pub fn validate(&self, submitted: &BTreeMap<String, String>) -> Result<FormValues, Vec<FieldError>> {
        let mut errors: Vec<FieldError> = submitted
            .keys()
            .filter(|name| self.field(name).is_none())
            .map(|name| FieldError {
                field: name.clone(),
                problem: FieldProblem::Unknown,
            })
            .collect();
        let mut values = FormValues::new();
        for field in &self.fields {
            let raw = submitted
                .get(field.name.as_str())
                .map(|v| v.trim())
                .filter(|v| !v.is_empty());
            match raw {
                None if field.required => {
                    errors.push(FieldError {
                        field: field.name.to_string(),
                        problem: FieldProblem::Missing,
                    });
                }
                None => {}
                Some(raw) => match field.kind.parse(raw) {
                    Ok(value) => {
                        values.insert(field.name.clone(), value);
                    }
                    Err(problem) => errors.push(FieldError {
                        field: field.name.to_string(),
                        problem,
                    }),
                },
            }
        }
        if errors.is_empty() { Ok(values) } else { Err(errors) }
    }
}

/// The longest text any field accepts.
const TEXT_LIMIT: u32 = 1000;

impl FieldKind {
    /// Parses and checks one non-empty value.
    pub fn parse(&self, raw: &str) -> Result<FieldValue, FieldProblem> {
        match self {
            Self::Text {
                min_length,
                max_length,
                pattern,
            } => {
                if raw.chars().any(char::is_control) {
                    return Err(FieldProblem::Control);
                }
                let length = u32::try_from(raw.chars().count()).unwrap_or(u32::MAX);
                let max = max_length.unwrap_or(TEXT_LIMIT).min(TEXT_LIMIT);
                if let Some(min) = min_length.filter(|min| length < *min) {
                    return Err(FieldProblem::TooShort { min });
                }
                if length > max {
                    return Err(FieldProblem::TooLong { max });
                }
                if pattern.as_ref().is_some_and(|p| !p.matches(raw)) {
                    return Err(FieldProblem::Pattern);
                }
                Ok(FieldValue::Text(raw.to_owned()))
            }
            Self::Number { min, max, decimals } => {
                let number: Decimal = raw.parse().map_err(|_| FieldProblem::NotANumber)?;
                if number.decimals() > u32::from(*decimals) {
                    return Err(FieldProblem::TooManyDecimals { max: *decimals });
                }
                if let Some(min) = min.filter(|min| number < *min) {
                    return Err(FieldProblem::BelowMinimum { min: min.to_string() });
                }
                if let Some(max) = max.filter(|max| number > *max) {
                    return Err(FieldProblem::AboveMaximum { max: max.to_string() });
                }
                Ok(FieldValue::Number(number))
            }
            Self::Date { min, max } => {
                let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| FieldProblem::NotADate)?;
                if raw.len() != 10 {
                    return Err(FieldProblem::NotADate);
                }
                if let Some(min) = min.filter(|min| date < *min) {
                    return Err(FieldProblem::BelowMinimum { min: min.to_string() });
                }
                if let Some(max) = max.filter(|max| date > *max) {
                    return Err(FieldProblem::AboveMaximum { max: max.to_string() });
                }
                Ok(FieldValue::Date(date))
            }
            Self::Choice { choices } => choices
                .iter()
                .find(|c| c.value.as_str() == raw)
                .map(|c| FieldValue::Choice(c.value.to_string()))
                .ok_or(FieldProblem::NotAChoice),
            Self::Boolean => match raw {
                "true" => Ok(FieldValue::Boolean(true)),
                "false" => Ok(FieldValue::Boolean(false)),
                _ => Err(FieldProblem::NotABoolean),
            },
            Self::FiscalCode => raw
                .parse()
                .map(FieldValue::FiscalCode)
                .map_err(|e: crate::value::FiscalCodeError| FieldProblem::FiscalCode { reason: e.to_string() }),
            Self::Email => raw.parse().map(FieldValue::Email).map_err(|_| FieldProblem::Email),
        }
    }
}
