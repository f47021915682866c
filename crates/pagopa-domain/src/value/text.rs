use std::fmt;
use std::str::FromStr;

/// A non-blank text of at most `MAX` characters with no control characters: the pagoPA
/// `stText35`, `stText70`, `stText140` family (`Text<140>` for a remittance text or a
/// description). Surrounding white space is trimmed.
///
/// ```
/// use pagopa_domain::Text;
///
/// let description: Text<140> = "  TARI 2026 saldo ".parse().unwrap();
/// assert_eq!(description.as_str(), "TARI 2026 saldo");
/// assert!("   ".parse::<Text<140>>().is_err());
/// assert!("x".repeat(36).parse::<Text<35>>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const MAX: usize>(String);

/// Why a string is not a [`Text`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Empty or only white space.
    #[error("the text is empty")]
    Empty,
    /// Longer than allowed.
    #[error("the text has {actual} characters, more than the {max} allowed")]
    TooLong {
        /// The maximum.
        max: usize,
        /// The length found.
        actual: usize,
    },
    /// Contains a control character (a newline, a tab, NUL…).
    #[error("the text contains a control character")]
    Control,
}

impl<const MAX: usize> Text<MAX> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text cut to `MAX` characters (at a character boundary) after trimming; `None` if it is
    /// blank or holds a control character. For building descriptions from longer inputs.
    pub fn truncating(raw: &str) -> Option<Self> {
        let cut: String = raw.trim().chars().take(MAX).collect();
        cut.parse().ok()
    }
}

/// Outside text made fit for a message or a log line: every run of white space or control
/// characters becomes one space, the ends are trimmed, and the text is cut to `max_chars`
/// characters (at a character boundary) with `…` when cut. Empty when nothing is left.
pub fn excerpt(raw: &str, max_chars: usize) -> String {
    let one_line = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match one_line.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

impl<const MAX: usize> FromStr for Text<MAX> {
    type Err = TextError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.chars().any(char::is_control) {
            return Err(TextError::Control);
        }
        let actual = text.chars().count();
        if actual > MAX {
            return Err(TextError::TooLong { max: MAX, actual });
        }
        Ok(Self(text.to_owned()))
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> fmt::Debug for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const MAX: usize> serde::Serialize for Text<MAX> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> serde::Deserialize<'de> for Text<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn excerpts_are_one_line_and_cut() {
        assert_eq!(excerpt("  a\n\tb \u{1} c ", 10), "a b c");
        assert_eq!(excerpt("àèìòù-àèìòù", 5), "àèìòù…");
        assert_eq!(excerpt(" \n ", 5), "");
    }

    #[test]
    fn limits() {
        assert_eq!("".parse::<Text<35>>(), Err(TextError::Empty));
        assert_eq!("a\nb".parse::<Text<35>>(), Err(TextError::Control));
        assert_eq!("èèè".parse::<Text<3>>().unwrap().as_str(), "èèè");
        assert_eq!("èèèè".parse::<Text<3>>(), Err(TextError::TooLong { max: 3, actual: 4 }));
        assert_eq!(Text::<3>::truncating(" abcdef ").unwrap().as_str(), "abc");
        assert!(serde_json::from_str::<Text<3>>("\"abcd\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(text in "[a-zA-Z0-9àèéìòù.,' -]{0,40}") {
            let trimmed = text.trim();
            match text.parse::<Text<35>>() {
                Ok(parsed) => {
                    prop_assert_eq!(parsed.as_str(), trimmed);
                    prop_assert!(trimmed.chars().count() <= 35);
                }
                Err(TextError::Empty) => prop_assert!(trimmed.is_empty()),
                Err(TextError::TooLong { actual, .. }) => prop_assert!(actual > 35),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
