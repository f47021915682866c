//! [`Secret`]: a credential from the configuration (a token, a subscription key, a webhook
//! secret) that `Debug` and `Display` never show.

use std::fmt;
use std::path::Path;

use reqwest::header::HeaderValue;

/// What [`Secret::redacted`], `Debug` and `Display` show instead of the value.
pub const REDACTED: &str = "<redacted>";

/// A secret value read from the configuration: inline (`token = "…"`) or from a file
/// ([`Secret::from_file`], the `token_file` convention of container and systemd credentials).
///
/// `Debug` and `Display` print [`REDACTED`]; the value is only reached through
/// [`expose`](Self::expose) or [`header_value`](Self::header_value), so that a settings struct
/// holding one can derive `Debug`.
///
/// ```
/// use pagopa_http_client::Secret;
///
/// let key: Secret = serde_json::from_str(r#"" k3y ""#).unwrap();
/// assert_eq!(format!("{key:?} {key}"), "<redacted> <redacted>");
/// assert_eq!(key.expose(), " k3y ");
/// assert!(key.header_value().unwrap().is_sensitive());
/// ```
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

/// Why a [`Secret`] cannot be sent in an HTTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Nothing but white space.
    #[error("is empty")]
    Empty,
    /// A control character or a byte HTTP headers cannot carry.
    #[error("contains characters not allowed in an HTTP header")]
    NotHeaderSafe,
}

/// Why a secret file gives no [`Secret`]. The message names the path, never the content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// The file cannot be read (or is not UTF-8).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file holds only white space.
    #[error("{path} is empty")]
    Empty {
        /// The file.
        path: String,
    },
}

impl Secret {
    /// A secret holding `value` as is.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The content of the file at `path`, trimmed (files usually end with a newline).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SecretFileError> {
        let path = path.as_ref();
        let shown = || path.display().to_string();
        let content =
            std::fs::read_to_string(path).map_err(|source| SecretFileError::Read { path: shown(), source })?;
        let value = content.trim();
        if value.is_empty() {
            return Err(SecretFileError::Empty { path: shown() });
        }
        Ok(Self(value.to_owned()))
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value, trimmed, as a header value marked sensitive (so that `http`'s and reqwest's
    /// `Debug` hide it too).
    pub fn header_value(&self) -> Result<HeaderValue, SecretError> {
        header_value(self.0.trim())
    }

    /// What to show in place of the value.
    pub fn redacted(&self) -> &'static str {
        REDACTED
    }
}

/// `value` as a sensitive header value: not empty, no byte headers cannot carry.
pub fn header_value(value: &str) -> Result<HeaderValue, SecretError> {
    if value.trim().is_empty() {
        return Err(SecretError::Empty);
    }
    let mut header = HeaderValue::from_str(value).map_err(|_| SecretError::NotHeaderSafe)?;
    header.set_sensitive(true);
    Ok(header)
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn never_shown() {
        let secret = Secret::from("t0ps3cret");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Settings {
            token: Option<Secret>,
        }
        let settings = Settings {
            token: Some(secret.clone()),
        };
        let text = format!("{secret} {secret:?} {settings:?} {settings:#?}");
        assert!(!text.contains("t0ps3cret"), "{text}");
        assert!(text.contains(REDACTED));
        assert_eq!(secret.expose(), "t0ps3cret");
    }

    #[test]
    fn header_values() {
        let value = Secret::from("  abc.def \n").header_value().unwrap();
        assert_eq!(value.to_str().unwrap(), "abc.def");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("abc"));
        assert_eq!(Secret::from(" \t").header_value(), Err(SecretError::Empty));
        assert_eq!(Secret::from("a\nb").header_value(), Err(SecretError::NotHeaderSafe));
        assert_eq!(Secret::from("a\u{7f}b").header_value(), Err(SecretError::NotHeaderSafe));
    }

    #[test]
    fn from_files() {
        let dir = std::env::temp_dir().join(format!("pagopa-http-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "  s3cret\n").unwrap();
        assert_eq!(Secret::from_file(&file).unwrap().expose(), "s3cret");

        std::fs::write(&file, "\n \n").unwrap();
        let empty = Secret::from_file(&file).unwrap_err();
        assert!(matches!(empty, SecretFileError::Empty { .. }), "{empty:?}");

        let missing = Secret::from_file(dir.join("missing")).unwrap_err();
        assert!(matches!(missing, SecretFileError::Read { .. }), "{missing:?}");
        assert!(missing.to_string().starts_with("cannot read "), "{missing}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
