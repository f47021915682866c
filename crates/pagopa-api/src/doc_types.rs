//! OpenAPI schemas of the domain documents the operator API reads and writes (`PositionDraft`,
//! `DebtPosition` and what they hold). The domain crate stays free of utoipa, so these types
//! mirror its serde form for the document only; a test walks real serialized positions against
//! them, so they cannot drift unnoticed.

#![allow(dead_code)]

use utoipa::ToSchema;

/// Where a position came from.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[schema(as = Origin)]
pub(crate) enum OriginDoc {
    /// Known to the Ente (pagamento atteso).
    Expected,
    /// Created from a catalogue service.
    Spontaneous {
        /// The service code.
        service: String,
    },
}

/// A debtor's or payer's identifier.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
#[schema(as = SubjectId)]
pub(crate) enum SubjectIdDoc {
    /// A 16-character personal fiscal code or an 11-digit VAT number.
    FiscalCode(String),
    /// No identifier (`ANONIMO`).
    Anonymous,
}

/// A debtor (`ctSubject`).
#[derive(ToSchema)]
#[schema(as = Subject)]
pub(crate) struct SubjectDoc {
    id: SubjectIdDoc,
    /// At most 70 characters.
    full_name: String,
    street_name: Option<String>,
    civic_number: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    /// Province or region.
    province: Option<String>,
    /// ISO 3166 alpha-2.
    country: Option<String>,
    email: Option<String>,
}

/// One metadata entry (at most 15 per map, key and value up to 140 characters).
#[derive(ToSchema)]
#[schema(as = MetadataEntry)]
pub(crate) struct MetadataEntryDoc {
    key: String,
    value: String,
}

/// A digital stamp request (`richiestaMarcaDaBollo`).
#[derive(ToSchema)]
#[schema(as = StampRequest)]
pub(crate) struct StampRequestDoc {
    /// Base64 of the document's SHA-256, 4 to 72 characters.
    document_hash: String,
    /// `01`.
    stamp_type: String,
    /// Two capital letters.
    province: String,
}

/// Which account a transfer credits.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[schema(as = TransferAccount)]
pub(crate) enum TransferAccountDoc {
    /// A bank or postal IBAN, with an optional postal alternative.
    Iban {
        #[schema(pattern = "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")]
        iban: String,
        postal_alternative: Option<String>,
    },
    /// A digital revenue stamp.
    Stamp {
        document_hash: String,
        stamp_type: String,
        province: String,
    },
}

/// A share of an option credited to one Ente (1..5 per option, ids 1, 2, … in order; transfer
/// 1 credits the position's Ente; the amounts add up to the option's).
#[derive(ToSchema)]
#[schema(as = Transfer)]
pub(crate) struct TransferDoc {
    id: u8,
    /// 11 digits.
    #[schema(pattern = "^[0-9]{11}$")]
    ente: String,
    company_name: Option<String>,
    /// Cents.
    #[schema(minimum = 1, maximum = 99_999_999_999_u64)]
    amount: u64,
    account: TransferAccountDoc,
    /// At most 140 characters.
    remittance: String,
    /// Taxonomy code, `9/0101101IM/` (the bare `0101101IM` is accepted).
    category: String,
    metadata: Option<Vec<MetadataEntryDoc>>,
}

/// Which instalment an option is.
#[derive(ToSchema)]
#[schema(as = Instalment)]
pub(crate) struct InstalmentDoc {
    number: u8,
    of: u8,
}

/// The payment that settled an option.
#[derive(ToSchema)]
#[schema(as = OptionPayment)]
pub(crate) struct OptionPaymentDoc {
    receipt_id: String,
    /// RFC 3339.
    paid_at: String,
    /// Cents.
    #[schema(minimum = 1, maximum = 99_999_999_999_u64)]
    amount: u64,
}

/// A payment option: the single solution or one instalment, each with its own notice.
#[derive(ToSchema)]
#[schema(as = PaymentOption)]
pub(crate) struct PaymentOptionDoc {
    /// 18 digits in the Ente's layout.
    #[schema(pattern = "^[0-3][0-9]{17}$")]
    notice_number: String,
    /// Cents.
    #[schema(minimum = 1, maximum = 99_999_999_999_u64)]
    amount: u64,
    description: String,
    /// `YYYY-MM-DD`.
    due_date: String,
    instalment: Option<InstalmentDoc>,
    transfers: Vec<TransferDoc>,
    metadata: Option<Vec<MetadataEntryDoc>>,
    /// Present once paid (read only).
    payment: Option<OptionPaymentDoc>,
}

/// What an operator or a gestionale sends to create or replace a position.
#[derive(ToSchema)]
#[schema(as = PositionDraft)]
pub(crate) struct PositionDraftDoc {
    /// The Ente's own id of the position, at most 50 of letters, digits, `.`, `_`, `-`.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,50}$")]
    iupd: String,
    origin: OriginDoc,
    debtor: SubjectDoc,
    description: String,
    options: Vec<PaymentOptionDoc>,
    /// Whether the position expires after its due date.
    expires_after_due_date: bool,
    /// RFC 3339; payable from then.
    valid_from: Option<String>,
    metadata: Option<Vec<MetadataEntryDoc>>,
    /// `true`: valid (payable) at once; `false`: a draft.
    publish: bool,
}

/// A stored position.
#[derive(ToSchema)]
#[schema(as = DebtPosition)]
pub(crate) struct DebtPositionDoc {
    #[schema(pattern = "^[0-9]{11}$")]
    ente: String,
    #[schema(pattern = "^[A-Za-z0-9._-]{1,50}$")]
    iupd: String,
    origin: OriginDoc,
    debtor: SubjectDoc,
    description: String,
    /// `draft`, `valid`, `partially_paid`, `paid`, `expired`, `cancelled`, `reported`.
    status: String,
    options: Vec<PaymentOptionDoc>,
    expires_after_due_date: bool,
    valid_from: Option<String>,
    metadata: Option<Vec<MetadataEntryDoc>>,
    created_at: String,
    updated_at: String,
    /// Optimistic-locking version.
    version: u64,
}

/// An Ente's settings, as the configuration file's `[[entes]]` tables take them
/// (`pagopa_domain::EnteSettings`).
#[derive(ToSchema)]
#[schema(as = EnteSettings)]
pub(crate) struct EnteSettingsDoc {
    /// The Ente's 11-digit fiscal code.
    #[schema(pattern = "^[0-9]{11}$")]
    id: String,
    /// Its name (`companyName`), at most 140 characters.
    name: String,
    /// The office (`officeName`), at most 140 characters.
    office_name: Option<String>,
    /// The sector printed on notices (ENTE.SETTORE), at most 140 characters.
    sector: Option<String>,
    /// The contact line printed on notices (web site, phone, PEC), at most 255 characters.
    info: Option<String>,
    /// The aux digit of its notice numbers.
    #[schema(minimum = 0, maximum = 3)]
    aux_digit: u8,
    /// With aux digit 3: 00..99 less pagoPA's reserved 47, 81, 85, 96..99.
    #[schema(minimum = 0, maximum = 99)]
    segregation_code: Option<u8>,
    /// With aux digit 0.
    #[schema(minimum = 0, maximum = 99)]
    application_code: Option<u8>,
    /// The intermediary (`idBrokerPA`).
    broker_id: String,
    /// The station (`idStation`).
    station_id: String,
    /// The treasury IBAN (ISO 13616, mod 97 checked).
    #[schema(pattern = "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")]
    bank_iban: String,
    /// A Poste Italiane IBAN (ABI 07601).
    postal_iban: Option<String>,
    /// Poste's authorisation to print payment slips ("AUT. …"); needs `postal_iban`.
    poste_authorisation: Option<String>,
    /// The CBILL code (5 characters).
    cbill: Option<String>,
    /// Configuration file only: the path of the logo. The API refuses it (use `…/logo`).
    logo: Option<String>,
    /// Whether the gestionale is asked for a debtor's positions on demand (default false).
    positions_on_demand: Option<bool>,
    /// Whether the Ente is served (default true).
    enabled: Option<bool>,
    /// The second language of its notices (`de`).
    second_language: Option<String>,
    /// The named gestionale that serves it (`[gestionali.NAME]` of the configuration); without
    /// it the Ente works without one (no refresh, notifications kept for the pull feed).
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    gestionale: Option<String>,
}
