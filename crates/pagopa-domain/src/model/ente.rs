//! The Enti an installation serves and their pagoPA settings.

use crate::model::PartyId;
use crate::value::{EnteId, Iban, NoticeLayout, Text};

/// An Ente (creditor institution) served by this installation, with what pagoPA and the
/// payment notice need to know about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ente {
    /// The Ente's 11-digit fiscal code.
    pub id: EnteId,
    /// Its name (`companyName`), as printed on notices.
    pub name: Text<140>,
    /// The office or sector (`officeName`), if any.
    pub office_name: Option<Text<140>>,
    /// The sector printed under the name on notices (ENTE.SETTORE), if any.
    #[serde(default)]
    pub sector: Option<Text<140>>,
    /// The contact line printed on notices (web site, phone, PEC), if any.
    #[serde(default)]
    pub info: Option<Text<255>>,
    /// Aux digit and segregation/application code of its station.
    pub notice_layout: NoticeLayout,
    /// The intermediary (`idBrokerPA`) it is connected through.
    pub broker_id: PartyId,
    /// The station (`idStation`) the Node calls for it.
    pub station_id: PartyId,
    /// The treasury bank account transfers go to by default.
    pub bank_iban: Iban,
    /// The Poste Italiane account, if the Ente has one (for `allCCP` and postal payment slips).
    pub postal_iban: Option<Iban>,
    /// The text of Poste Italiane's authorisation to print payment slips ("AUT. …"), needed
    /// for the postal section of notices.
    #[serde(default)]
    pub poste_authorisation: Option<Text<140>>,
    /// The CBILL code printed on notices, if any.
    pub cbill: Option<Text<5>>,
    /// Whether the Ente's gestionale is asked for a debtor's positions when the debtor asks for
    /// them (positions can also be pushed or bulk-loaded).
    pub positions_on_demand: bool,
    /// Whether the Ente is served. A disabled Ente keeps all its data but the Node and the
    /// Front-End no longer find it.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The second language of its notices, for bilingual Enti.
    #[serde(default)]
    pub second_language: Option<NoticeLanguage>,
    /// The named gestionale (`[gestionali.NAME]` of the configuration) that serves it; `None`
    /// for an Ente without one (no refresh on demand, notifications kept for the pull feed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gestionale: Option<GestionaleName>,
}

/// The name of a configured gestionale (`[gestionali.NAME]`): 1 to 64 lower-case ASCII letters,
/// digits, `-` or `_`, starting with a letter or digit. Lower case because environment
/// variables (`PAGOPA__GESTIONALI__NAME__…`) reach the configuration lower-cased.
///
/// ```
/// use pagopa_domain::GestionaleName;
///
/// assert!("comune-valdesempio".parse::<GestionaleName>().is_ok());
/// assert!("Comune".parse::<GestionaleName>().is_err());
/// assert!("".parse::<GestionaleName>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GestionaleName(String);

impl GestionaleName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for GestionaleName {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        let starts_well = raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if raw.is_empty() || raw.len() > 64 || !starts_well || !raw.chars().all(valid_char) {
            return Err(format!(
                "{raw:?} is not a gestionale name (1 to 64 of a-z, 0-9, '-', '_', starting with a letter or digit)"
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

impl TryFrom<String> for GestionaleName {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

impl From<GestionaleName> for String {
    fn from(name: GestionaleName) -> Self {
        name.0
    }
}

impl std::fmt::Display for GestionaleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn enabled_by_default() -> bool {
    true
}

/// The second language of a bilingual notice (Italian is always the first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NoticeLanguage {
    /// German (Alto Adige / Südtirol).
    De,
}

impl std::str::FromStr for NoticeLanguage {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "de" => Ok(Self::De),
            other => Err(format!("{other:?} is not a supported notice language (de)")),
        }
    }
}

/// An Ente's logo, as printed on its notices: the bytes of a PNG, JPEG or SVG image, checked
/// by their signature.
#[derive(Clone, PartialEq, Eq)]
pub struct EnteLogo {
    format: LogoFormat,
    bytes: Vec<u8>,
}

/// The image format of an [`EnteLogo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogoFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// SVG (XML text).
    Svg,
}

impl LogoFormat {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Svg => "image/svg+xml",
        }
    }
}

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;

impl EnteLogo {
    /// The logo in `bytes`, if they are a PNG, JPEG or SVG image of at most
    /// [`MAX_LOGO_BYTES`].
    ///
    /// ```
    /// use pagopa_domain::{EnteLogo, LogoFormat};
    ///
    /// let svg = EnteLogo::from_bytes(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec()).unwrap();
    /// assert_eq!(svg.format(), LogoFormat::Svg);
    /// assert!(EnteLogo::from_bytes(b"GIF89a".to_vec()).is_err());
    /// ```
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(format!(
                "the logo has {} bytes, more than {MAX_LOGO_BYTES}",
                bytes.len()
            ));
        }
        let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            LogoFormat::Png
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            LogoFormat::Jpeg
        } else if is_svg(&bytes) {
            LogoFormat::Svg
        } else {
            return Err("the logo is not a PNG, JPEG or SVG image".into());
        };
        Ok(Self { format, bytes })
    }

    /// Its format.
    pub fn format(&self) -> LogoFormat {
        self.format
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for EnteLogo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnteLogo")
            .field("format", &self.format)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// UTF-8 text whose first element (after an XML declaration, comments and a doctype) is `svg`.
fn is_svg(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            match after.find("?>") {
                Some(end) => rest = after[end + 2..].trim_start(),
                None => return false,
            }
        } else if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => rest = after[end + 3..].trim_start(),
                None => return false,
            }
        } else if let Some(after) = rest.strip_prefix("<!") {
            match after.find('>') {
                Some(end) => rest = after[end + 1..].trim_start(),
                None => return false,
            }
        } else {
            return rest.starts_with("<svg")
                && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
        }
    }
}

/// Why an [`Ente`]'s settings are unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnteSettingsError {
    /// The postal IBAN is not a Poste Italiane account.
    #[error("the postal IBAN of Ente {0} is not a Poste Italiane (ABI 07601) account")]
    PostalIbanNotPostal(EnteId),
    /// The segregation code is one pagoPA reserves for its centralised services.
    #[error("segregation code {code:02} of Ente {ente} is reserved by pagoPA (47, 81, 85, 96-99)")]
    ReservedSegregationCode {
        /// The Ente.
        ente: EnteId,
        /// The code.
        code: u8,
    },
    /// An application or segregation code above 99.
    #[error("the application or segregation code of Ente {0} has more than two digits")]
    Code(EnteId),
    /// A Poste authorisation without a postal account to go with it.
    #[error("Ente {0} has a Poste authorisation but no postal IBAN")]
    AuthorisationWithoutPostalIban(EnteId),
}

impl EnteSettingsError {
    /// The settings key the error is about (`postal_iban`, `segregation_code`, …).
    pub fn key(&self) -> &'static str {
        match self {
            Self::PostalIbanNotPostal(_) => "postal_iban",
            Self::ReservedSegregationCode { .. } => "segregation_code",
            Self::Code(_) => "segregation_code",
            Self::AuthorisationWithoutPostalIban(_) => "poste_authorisation",
        }
    }
}

impl Ente {
    /// Checks the settings that types alone cannot.
    pub fn validate(&self) -> Result<(), EnteSettingsError> {
        if let Some(postal) = &self.postal_iban
            && !postal.is_italian_postal()
        {
            return Err(EnteSettingsError::PostalIbanNotPostal(self.id.clone()));
        }
        if self.poste_authorisation.is_some() && self.postal_iban.is_none() {
            return Err(EnteSettingsError::AuthorisationWithoutPostalIban(self.id.clone()));
        }
        match self.notice_layout.code() {
            Some(code) if code > 99 => return Err(EnteSettingsError::Code(self.id.clone())),
            _ => {}
        }
        if let NoticeLayout::Aux3 { segregation_code: code } = self.notice_layout
            && matches!(code, 47 | 81 | 85 | 96..=99)
        {
            return Err(EnteSettingsError::ReservedSegregationCode {
                ente: self.id.clone(),
                code,
            });
        }
        Ok(())
    }

    /// Whether the postal section of a notice (Bollettino Postale PA) can be printed: a postal
    /// account and Poste's authorisation.
    pub fn prints_postal_slips(&self) -> bool {
        self.postal_iban.is_some() && self.poste_authorisation.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_recognised_by_their_signature() {
        assert_eq!(
            EnteLogo::from_bytes(b"\x89PNG\r\n\x1a\n....".to_vec())
                .unwrap()
                .format(),
            LogoFormat::Png
        );
        assert_eq!(
            EnteLogo::from_bytes(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0])
                .unwrap()
                .format(),
            LogoFormat::Jpeg
        );
        assert_eq!(
            EnteLogo::from_bytes(b"<!-- x --><!DOCTYPE svg><svg viewBox='0 0 1 1'></svg>".to_vec())
                .unwrap()
                .format(),
            LogoFormat::Svg
        );
        assert!(EnteLogo::from_bytes(b"<svgx/>".to_vec()).is_err());
        assert!(EnteLogo::from_bytes(b"<html></html>".to_vec()).is_err());
        assert!(EnteLogo::from_bytes(vec![0; MAX_LOGO_BYTES + 1]).is_err());
    }
}
