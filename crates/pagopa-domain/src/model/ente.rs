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
    /// The CBILL code printed on notices, if any.
    pub cbill: Option<Text<5>>,
    /// Whether the Ente's gestionale is asked for a debtor's positions when the debtor asks for
    /// them (positions can also be pushed or bulk-loaded).
    pub positions_on_demand: bool,
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
}

impl Ente {
    /// Checks the settings that types alone cannot.
    pub fn validate(&self) -> Result<(), EnteSettingsError> {
        if let Some(postal) = &self.postal_iban
            && !postal.is_italian_postal()
        {
            return Err(EnteSettingsError::PostalIbanNotPostal(self.id.clone()));
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
}
