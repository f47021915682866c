//! An Ente's settings in the flat form operators write: one `[[entes]]` table of the
//! configuration file, or the body of the operator API's `PUT /admin/entes/{ente}`. Every key
//! is checked, and an error names the key it is about.

use crate::model::{Ente, NoticeLanguage};
use crate::value::NoticeLayout;

/// An Ente's settings as written by an operator. [`EnteSettings::to_ente`] checks them into an
/// [`Ente`]; `From<&Ente>` gives them back.
///
/// ```
/// use pagopa_domain::EnteSettings;
///
/// let settings: EnteSettings = serde_json::from_value(serde_json::json!({
///     "id": "80012345676", "name": "Comune di Valdesempio", "aux_digit": 3,
///     "segregation_code": 5, "broker_id": "80012345676", "station_id": "80012345676_01",
///     "bank_iban": "IT56M0306911200000000046020"
/// })).unwrap();
/// let ente = settings.to_ente().unwrap();
/// assert!(ente.enabled && !ente.positions_on_demand);
///
/// let mut bad = settings.clone();
/// bad.bank_iban = "IT56M0306911200000000046021".into();
/// assert_eq!(bad.to_ente().unwrap_err().key, "bank_iban");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnteSettings {
    /// The Ente's 11-digit fiscal code.
    pub id: String,
    /// Its name, as printed on notices (`companyName`).
    pub name: String,
    /// The office (`officeName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    /// The sector printed on notices (ENTE.SETTORE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The contact line printed on notices (web site, phone, PEC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// The aux digit of its notice numbers, 0..=3.
    pub aux_digit: u8,
    /// The segregation code (aux digit 3), 00..=99 less pagoPA's reserved ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segregation_code: Option<u8>,
    /// The application code (aux digit 0), 00..=99.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_code: Option<u8>,
    /// The intermediary (`idBrokerPA`).
    pub broker_id: String,
    /// The station (`idStation`).
    pub station_id: String,
    /// The treasury account.
    pub bank_iban: String,
    /// The Poste Italiane account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<String>,
    /// Poste's authorisation to print payment slips ("AUT. …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poste_authorisation: Option<String>,
    /// The CBILL code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cbill: Option<String>,
    /// The path of the logo file (PNG, JPEG or SVG). Only in the configuration file: the
    /// operator API sets logos on their own resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Whether the gestionale is asked for a debtor's positions on demand.
    #[serde(default)]
    pub positions_on_demand: bool,
    /// Whether the Ente is served.
    #[serde(default = "served")]
    pub enabled: bool,
    /// The second language of its notices (`de`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_language: Option<String>,
    /// The named gestionale serving it (`[gestionali.NAME]` of the configuration); none: the
    /// Ente works without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gestionale: Option<String>,
}

fn served() -> bool {
    true
}

/// A bad setting: the key and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct EnteSettingsFieldError {
    /// The key (`bank_iban`, `segregation_code`, …).
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

fn field<T: std::str::FromStr>(key: &'static str, raw: &str) -> Result<T, EnteSettingsFieldError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e: T::Err| EnteSettingsFieldError {
        key,
        message: format!("{raw:?}: {e}"),
    })
}

fn optional<T: std::str::FromStr>(key: &'static str, raw: &Option<String>) -> Result<Option<T>, EnteSettingsFieldError>
where
    T::Err: std::fmt::Display,
{
    raw.as_deref().map(|r| field(key, r)).transpose()
}

fn invalid(key: &'static str, message: impl Into<String>) -> EnteSettingsFieldError {
    EnteSettingsFieldError {
        key,
        message: message.into(),
    }
}

impl EnteSettings {
    /// The Ente these settings describe, every key checked (the logo file is read by whoever
    /// holds the path).
    pub fn to_ente(&self) -> Result<Ente, EnteSettingsFieldError> {
        let code = |key: &'static str, value: Option<u8>| -> Result<u8, EnteSettingsFieldError> {
            let value = value.ok_or_else(|| invalid(key, format!("required with aux_digit {}", self.aux_digit)))?;
            if value > 99 {
                return Err(invalid(key, format!("{value} has more than two digits")));
            }
            Ok(value)
        };
        let unexpected = |key: &'static str, value: Option<u8>| match value {
            Some(_) => Err(invalid(key, format!("not used with aux_digit {}", self.aux_digit))),
            None => Ok(()),
        };
        let notice_layout = match self.aux_digit {
            0 => {
                unexpected("segregation_code", self.segregation_code)?;
                NoticeLayout::Aux0 {
                    application_code: code("application_code", self.application_code)?,
                }
            }
            1 | 2 => {
                unexpected("segregation_code", self.segregation_code)?;
                unexpected("application_code", self.application_code)?;
                if self.aux_digit == 1 {
                    NoticeLayout::Aux1
                } else {
                    NoticeLayout::Aux2
                }
            }
            3 => {
                unexpected("application_code", self.application_code)?;
                NoticeLayout::Aux3 {
                    segregation_code: code("segregation_code", self.segregation_code)?,
                }
            }
            other => return Err(invalid("aux_digit", format!("{other} is not 0, 1, 2 or 3"))),
        };
        let second_language = self
            .second_language
            .as_deref()
            .map(|raw| raw.parse::<NoticeLanguage>().map_err(|e| invalid("second_language", e)))
            .transpose()?;
        let ente = Ente {
            id: field("id", &self.id)?,
            name: field("name", &self.name)?,
            office_name: optional("office_name", &self.office_name)?,
            sector: optional("sector", &self.sector)?,
            info: optional("info", &self.info)?,
            notice_layout,
            broker_id: field("broker_id", &self.broker_id)?,
            station_id: field("station_id", &self.station_id)?,
            bank_iban: field("bank_iban", &self.bank_iban)?,
            postal_iban: optional("postal_iban", &self.postal_iban)?,
            poste_authorisation: optional("poste_authorisation", &self.poste_authorisation)?,
            cbill: optional("cbill", &self.cbill)?,
            positions_on_demand: self.positions_on_demand,
            enabled: self.enabled,
            second_language,
            gestionale: optional("gestionale", &self.gestionale)?,
        };
        ente.validate().map_err(|e| invalid(e.key(), e.to_string()))?;
        Ok(ente)
    }
}

impl From<&Ente> for EnteSettings {
    fn from(ente: &Ente) -> Self {
        let text = |t: &Option<_>| t.as_ref().map(|v: &crate::value::Text<140>| v.to_string());
        Self {
            id: ente.id.to_string(),
            name: ente.name.to_string(),
            office_name: text(&ente.office_name),
            sector: text(&ente.sector),
            info: ente.info.as_ref().map(ToString::to_string),
            aux_digit: ente.notice_layout.aux_digit(),
            segregation_code: match ente.notice_layout {
                NoticeLayout::Aux3 { segregation_code } => Some(segregation_code),
                _ => None,
            },
            application_code: match ente.notice_layout {
                NoticeLayout::Aux0 { application_code } => Some(application_code),
                _ => None,
            },
            broker_id: ente.broker_id.to_string(),
            station_id: ente.station_id.to_string(),
            bank_iban: ente.bank_iban.to_string(),
            postal_iban: ente.postal_iban.as_ref().map(ToString::to_string),
            poste_authorisation: text(&ente.poste_authorisation),
            cbill: ente.cbill.as_ref().map(ToString::to_string),
            logo: None,
            positions_on_demand: ente.positions_on_demand,
            enabled: ente.enabled,
            second_language: ente.second_language.map(|l| match l {
                NoticeLanguage::De => "de".to_owned(),
            }),
            gestionale: ente.gestionale.as_ref().map(ToString::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comune() -> EnteSettings {
        EnteSettings::from(&crate::demo::comune())
    }

    #[test]
    fn settings_round_trip_through_the_ente() {
        for ente in [crate::demo::comune(), crate::demo::provincia()] {
            assert_eq!(EnteSettings::from(&ente).to_ente().unwrap(), ente);
        }
    }

    #[test]
    fn every_bad_value_names_its_key() {
        type Edit = fn(&mut EnteSettings);
        let cases: &[(&str, Edit)] = &[
            ("id", |s| s.id = "8001234567".into()),
            ("id", |s| s.id = "8001234567a".into()),
            ("name", |s| s.name = "  ".into()),
            ("name", |s| s.name = "x".repeat(141)),
            ("office_name", |s| s.office_name = Some("a\u{7}b".into())),
            ("sector", |s| s.sector = Some("".into())),
            ("info", |s| s.info = Some("x".repeat(256))),
            ("aux_digit", |s| s.aux_digit = 4),
            ("segregation_code", |s| s.segregation_code = None),
            ("segregation_code", |s| s.segregation_code = Some(47)),
            ("segregation_code", |s| s.segregation_code = Some(100)),
            ("application_code", |s| s.application_code = Some(1)),
            ("application_code", |s| {
                s.aux_digit = 0;
                s.segregation_code = None;
            }),
            ("broker_id", |s| s.broker_id = "".into()),
            ("station_id", |s| s.station_id = "a b".into()),
            ("bank_iban", |s| s.bank_iban = "IT56M0306911200000000046021".into()),
            ("postal_iban", |s| {
                s.postal_iban = Some("IT56M0306911200000000046020".into())
            }),
            ("postal_iban", |s| s.postal_iban = Some("not an iban".into())),
            ("poste_authorisation", |s| s.postal_iban = None),
            ("cbill", |s| s.cbill = Some("ABCDEF".into())),
            ("second_language", |s| s.second_language = Some("xx".into())),
            ("gestionale", |s| s.gestionale = Some("Not A Name".into())),
        ];
        for (key, edit) in cases {
            let mut settings = comune();
            edit(&mut settings);
            let error = settings.to_ente().expect_err(key);
            assert_eq!(error.key, *key, "{error}");
        }
    }
}
