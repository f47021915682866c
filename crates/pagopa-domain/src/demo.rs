//! A demo installation: the Comune di Valdesempio and the Provincia di Esempio of the shared
//! pagoPA sample messages, a catalogue of four spontaneous services, and expected positions
//! (single, multi-beneficiary, instalments, expired). Used by examples, tests and demo mode.
//! All codes are fictitious but check-digit valid.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::*;
use crate::ports::{Ports, StorageError};
use crate::value::*;

/// Parses a literal of this module. Every literal here is covered by the module's tests, so a
/// failure is a programming error caught before release.
#[allow(clippy::expect_used)]
fn lit<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("demo literals are valid")
}

fn cents(value: u64) -> AmountCents {
    lit(&format!("{}.{:02}", value / 100, value % 100))
}

fn date(text: &str) -> NaiveDate {
    lit(text)
}

/// Fiscal code of the Comune di Valdesempio, the demo's main Ente.
pub const COMUNE: &str = "80012345676";
/// Fiscal code of the Provincia di Esempio, secondary beneficiary of the TARI's TEFA share.
pub const PROVINCIA: &str = "00123456782";
/// The intermediary both Enti use.
pub const BROKER: &str = "80012345676";
/// The station the Node calls.
pub const STATION: &str = "80012345676_01";
/// The demo debtor, Giuseppe Verdi.
pub const DEBTOR: &str = "VRDGPP80A01B157X";
/// Another citizen, Laura Bianchi.
pub const OTHER_DEBTOR: &str = "BNCLRA85M41B157C";

/// The notice layout of the Comune: aux digit 3, segregation code 05.
pub fn comune_layout() -> NoticeLayout {
    NoticeLayout::Aux3 { segregation_code: 5 }
}

/// The Comune di Valdesempio: bank and postal account, positions on demand from its gestionale.
pub fn comune() -> Ente {
    Ente {
        id: lit(COMUNE),
        name: lit("Comune di Valdesempio"),
        office_name: Some(lit("Servizio Tributi")),
        notice_layout: comune_layout(),
        broker_id: lit(BROKER),
        station_id: lit(STATION),
        bank_iban: lit("IT56M0306911200000000046020"),
        postal_iban: Some(lit("IT60J0760111200000012345679")),
        cbill: Some(lit("AB123")),
        positions_on_demand: true,
    }
}

/// The Provincia di Esempio: bank account only.
pub fn provincia() -> Ente {
    Ente {
        id: lit(PROVINCIA),
        name: lit("Provincia di Esempio"),
        office_name: None,
        notice_layout: NoticeLayout::Aux3 { segregation_code: 6 },
        broker_id: lit(BROKER),
        station_id: lit(STATION),
        bank_iban: lit("IT90P0503411200000000078915"),
        postal_iban: None,
        cbill: None,
        positions_on_demand: false,
    }
}

fn field(name: &str, label: &str, required: bool, kind: FieldKind) -> Field {
    Field {
        name: lit(name),
        label: lit(label),
        help: None,
        required,
        kind,
    }
}

fn text_field(name: &str, label: &str, pattern: Option<&str>) -> Field {
    field(
        name,
        label,
        true,
        FieldKind::Text {
            min_length: Some(1),
            max_length: Some(70),
            pattern: pattern.map(lit),
        },
    )
}

fn own_transfer(category: &str, remittance: &str, share: Share) -> TransferTemplate {
    TransferTemplate {
        ente: None,
        company_name: None,
        account: AccountTemplate::EnteBank,
        category: lit(category),
        remittance: lit(remittance),
        share,
    }
}

fn service(
    code: &str,
    name: &str,
    description: &str,
    fields: Vec<Field>,
    amount: AmountRule,
    transfers: Vec<TransferTemplate>,
) -> SpontaneousService {
    SpontaneousService {
        ente: lit(COMUNE),
        code: lit(code),
        name: lit(name),
        description: Some(lit(description)),
        demand_service_id: None,
        form: Form { fields },
        amount,
        transfers,
        payment_description: lit(name),
        due_in_days: 30,
        active: true,
    }
}

/// The Comune's spontaneous catalogue: a fishing licence at a fixed price, a room priced per
/// hour by formula, a certificate carrying a digital stamp, and a mushroom-picking permit priced
/// by table and offered to PSPs as `idServizio` 90001.
pub fn catalogue() -> Vec<SpontaneousService> {
    let mut fishing = service(
        "licenza-pesca",
        "Licenza di pesca sportiva",
        "Licenza annuale di pesca sportiva nelle acque interne del Comune.",
        vec![
            text_field("full_name", "Nome e cognome", None),
            field("fiscal_code", "Codice fiscale", true, FieldKind::FiscalCode),
            field(
                "year",
                "Anno di validità",
                true,
                FieldKind::Number {
                    min: Some(lit("2026")),
                    max: Some(lit("2030")),
                    decimals: 0,
                },
            ),
            field("email", "E-mail per la ricevuta", false, FieldKind::Email),
        ],
        AmountRule::Fixed { amount: cents(3_400) },
        vec![own_transfer(
            "9/0201102IM/",
            "Licenza di pesca {year} {fiscal_code}",
            Share::Remainder,
        )],
    );
    fishing.payment_description = lit("Licenza di pesca sportiva {year}");

    let mut room = service(
        "sala-civica",
        "Affitto sala civica",
        "Prenotazione della sala civica, a ore; sconto del 20% per i residenti.",
        vec![
            text_field("full_name", "Nome e cognome", None),
            field(
                "date",
                "Data",
                true,
                FieldKind::Date {
                    min: Some(date("2026-01-01")),
                    max: None,
                },
            ),
            field(
                "hours",
                "Ore",
                true,
                FieldKind::Number {
                    min: Some(lit("1")),
                    max: Some(lit("12")),
                    decimals: 1,
                },
            ),
            field("resident", "Residente nel Comune", false, FieldKind::Boolean),
        ],
        AmountRule::Formula {
            formula: lit("hours * 2500 * (1 - resident * 0.2)"),
        },
        vec![own_transfer(
            "9/0201109SP/",
            "Sala civica {date} ore {hours}",
            Share::Remainder,
        )],
    );
    room.payment_description = lit("Affitto sala civica del {date}");

    let mut certificate = service(
        "certificato-cdu",
        "Certificato di destinazione urbanistica",
        "Rilascio del CDU con marca da bollo digitale da 16,00 EUR.",
        vec![
            text_field("parcel", "Foglio e mappale", None),
            text_field(
                "document_hash",
                "Impronta SHA-256 del documento (base64)",
                Some("[A-Za-z0-9+/]{43}="),
            ),
            text_field("province", "Provincia di residenza", Some("[A-Z]{2}")),
        ],
        AmountRule::Fixed { amount: cents(6_800) },
        vec![
            own_transfer("9/0201117SP/", "Diritti di segreteria CDU {parcel}", Share::Remainder),
            TransferTemplate {
                ente: None,
                company_name: None,
                account: AccountTemplate::Stamp {
                    document_hash_field: lit("document_hash"),
                    province_field: lit("province"),
                },
                category: lit("9/0201117SP/"),
                remittance: lit("Marca da bollo CDU {parcel}"),
                share: Share::Fixed { amount: cents(1_600) },
            },
        ],
    );
    certificate.payment_description = lit("CDU - {parcel}");

    let mut mushrooms = service(
        "tesserino-funghi",
        "Tesserino raccolta funghi",
        "Autorizzazione annuale alla raccolta dei funghi epigei.",
        vec![
            field("codice_fiscale", "Codice fiscale", true, FieldKind::FiscalCode),
            text_field("cognome", "Cognome", None),
            text_field("nome", "Nome", None),
            field(
                "anno_validita",
                "Anno",
                true,
                FieldKind::Number {
                    min: Some(lit("2026")),
                    max: Some(lit("2030")),
                    decimals: 0,
                },
            ),
            field(
                "tipologia",
                "Tipologia",
                true,
                FieldKind::Choice {
                    choices: vec![
                        Choice {
                            value: lit("RESIDENTE"),
                            label: lit("Residente"),
                        },
                        Choice {
                            value: lit("NON_RESIDENTE"),
                            label: lit("Non residente"),
                        },
                    ],
                },
            ),
        ],
        AmountRule::Table {
            field: lit("tipologia"),
            prices: vec![
                PriceEntry {
                    value: lit("RESIDENTE"),
                    amount: cents(1_000),
                },
                PriceEntry {
                    value: lit("NON_RESIDENTE"),
                    amount: cents(3_000),
                },
            ],
        },
        vec![own_transfer(
            "9/0201102IM/",
            "Tesserino funghi {anno_validita} {codice_fiscale}",
            Share::Remainder,
        )],
    );
    mushrooms.demand_service_id = Some(lit("90001"));
    mushrooms.payment_description = lit("Tesserino funghi {anno_validita}");

    vec![fishing, room, certificate, mushrooms]
}

/// The debtor Giuseppe Verdi with his address.
pub fn debtor() -> Subject {
    Subject {
        street_name: Some(lit("Via Roma")),
        civic_number: Some(lit("12")),
        postal_code: Some(lit("25080")),
        city: Some(lit("Valdesempio")),
        province: Some(lit("BS")),
        country: Some(lit("IT")),
        email: Some(lit("giuseppe.verdi@example.it")),
        ..Subject::new(SubjectId::FiscalCode(lit(DEBTOR)), lit("Giuseppe Verdi"))
    }
}

/// A notice of the Comune with this IUV base.
pub fn comune_notice(base: u64) -> NoticeNumber {
    match NoticeNumber::build(comune_layout(), base) {
        Ok(notice) => notice,
        Err(_) => unreachable!("demo bases are below 10^13"),
    }
}

/// A single-transfer option to the Comune's bank account.
pub fn simple_option(base: u64, amount_cents: u64, description: &str, due: &str) -> PaymentOption {
    let comune = comune();
    PaymentOption {
        notice_number: comune_notice(base),
        amount: cents(amount_cents),
        description: lit(description),
        due_date: date(due),
        instalment: None,
        transfers: vec![Transfer {
            id: 1,
            ente: comune.id.clone(),
            company_name: None,
            amount: cents(amount_cents),
            account: TransferAccount::Iban {
                iban: comune.bank_iban.clone(),
                postal_alternative: comune.postal_iban.clone(),
            },
            remittance: lit(description),
            category: lit("9/0101101IM/"),
            metadata: Metadata::default(),
        }],
        metadata: Metadata::default(),
        payment: None,
    }
}

/// A published draft of an expected position.
pub fn draft(iupd: &str, debtor: Subject, description: &str, options: Vec<PaymentOption>) -> PositionDraft {
    PositionDraft {
        iupd: lit(iupd),
        origin: Origin::Expected,
        debtor,
        description: lit(description),
        options,
        expires_after_due_date: false,
        valid_from: None,
        metadata: Metadata::default(),
        publish: true,
    }
}

/// The TARI 2026 balance of the shared samples (notice N1): 234.00 to the Comune and 11.70 TEFA
/// to the Provincia.
pub fn tari() -> PositionDraft {
    let provincia = provincia();
    let mut option = simple_option(2_601_000_004_711, 24_570, "TARI 2026 saldo", "2026-12-16");
    option.transfers[0].amount = cents(23_400);
    option.transfers[0].remittance = lit("TARI 2026 saldo");
    option.transfers.push(Transfer {
        id: 2,
        ente: provincia.id.clone(),
        company_name: Some(provincia.name.clone()),
        amount: cents(1_170),
        account: TransferAccount::Iban {
            iban: provincia.bank_iban.clone(),
            postal_alternative: None,
        },
        remittance: lit("TEFA 2026 saldo"),
        category: lit("9/0201102IM/"),
        metadata: Metadata::default(),
    });
    draft("TARI-2026-4711", debtor(), "TARI 2026 saldo", vec![option])
}

/// An IMU plan: a single solution of 600.00 or three instalments of 200.00.
pub fn imu_plan() -> PositionDraft {
    let mut options = vec![simple_option(
        2_601_000_005_000,
        60_000,
        "IMU 2026 unica soluzione",
        "2026-12-16",
    )];
    for (index, due) in ["2026-12-16", "2027-01-16", "2027-02-16"].into_iter().enumerate() {
        let mut instalment = simple_option(
            2_601_000_005_001 + index as u64,
            20_000,
            &format!("IMU 2026 rata {} di 3", index + 1),
            due,
        );
        instalment.instalment = Some(Instalment {
            number: index as u8 + 1,
            of: 3,
        });
        options.push(instalment);
    }
    draft("IMU-2026-5000", debtor(), "IMU 2026", options)
}

/// The school canteen fee of March 2025 (notice N3), expired.
pub fn canteen_expired() -> PositionDraft {
    let mut draft = draft(
        "MENSA-2025-03",
        debtor(),
        "Mensa scolastica marzo 2025",
        vec![simple_option(
            2_503_000_001_942,
            4_500,
            "Mensa scolastica marzo 2025",
            "2025-04-30",
        )],
    );
    draft.expires_after_due_date = true;
    draft
}

/// A position of another citizen, for isolation tests.
pub fn other_debtor_position() -> PositionDraft {
    let other = Subject::new(SubjectId::FiscalCode(lit(OTHER_DEBTOR)), lit("Laura Bianchi"));
    draft(
        "CANONE-2026-77",
        other,
        "Canone occupazione suolo pubblico 2026",
        vec![simple_option(2_601_000_007_700, 12_000, "COSAP 2026", "2026-12-31")],
    )
}

/// Every demo position draft of the Comune.
pub fn positions() -> Vec<PositionDraft> {
    vec![tari(), imu_plan(), canteen_expired(), other_debtor_position()]
}

/// Stores the demo Enti, catalogue and positions through `ports`, skipping positions that are
/// already there. Returns how many positions it added.
pub async fn seed(ports: &Ports, now: DateTime<Utc>) -> Result<usize, SeedError> {
    for ente in [comune(), provincia()] {
        ente.validate()?;
        ports.entes.upsert(&ente).await?;
    }
    let comune = comune();
    for service in catalogue() {
        service.validate(&comune)?;
        ports.catalogue.upsert(&service).await?;
    }
    let mut added = 0;
    for draft in positions() {
        let position = DebtPosition::create(&comune.id, comune.notice_layout, draft, now)?;
        match ports.positions.insert(&position).await {
            Ok(_) => added += 1,
            Err(StorageError::Duplicate(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(added)
}

/// Why the demo could not be stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Demo data broke a rule (a programming error).
    #[error(transparent)]
    Ente(#[from] EnteSettingsError),
    /// Demo data broke a rule (a programming error).
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// Demo data broke a rule (a programming error).
    #[error(transparent)]
    Position(#[from] PositionError),
}

/// The receipt the Node would send after the demo PSP (Banca Esempio) collected `option` of
/// the Comune at `at`: transfers echoed, payment and delivery data filled in, as a V2 receipt
/// delivered to the Comune's station.
pub fn receipt_for(option: &PaymentOption, receipt_id: &str, at: DateTime<Utc>) -> Receipt {
    let comune = comune();
    Receipt {
        receipt_id: lit(receipt_id),
        notice_number: option.notice_number.clone(),
        ente: comune.id.clone(),
        outcome_ok: true,
        creditor_reference_id: option.notice_number.iuv(),
        amount: option.amount,
        description: option.description.clone(),
        company_name: comune.name.clone(),
        office_name: comune.office_name.clone(),
        debtor: debtor(),
        payer: None,
        transfers: option
            .transfers
            .iter()
            .map(|t| ReceiptTransfer {
                id: t.id,
                amount: t.amount,
                ente: t.ente.clone(),
                company_name: t.company_name.clone(),
                iban: match &t.account {
                    TransferAccount::Iban { iban, .. } => Some(iban.clone()),
                    TransferAccount::Stamp(_) => None,
                },
                stamp_attachment: None,
                remittance: t.remittance.clone(),
                category: t.category.clone(),
                metadata: t.metadata.clone(),
            })
            .collect(),
        psp: Psp {
            id: lit("ABI99999"),
            fiscal_code: Some(lit("12345678903")),
            vat_number: Some(lit("12345678903")),
            company_name: lit("Banca Esempio S.p.A."),
            channel_id: lit("12345678903_03"),
            channel_description: lit("app"),
        },
        payment_method: Some(lit("creditCard")),
        payment_note: None,
        fee_cents: Some(120),
        primary_ci_incurred_fee_cents: None,
        bundle_id: None,
        ci_bundle_id: None,
        payment_date_time: Some(at),
        application_date: Some(at.date_naive()),
        transfer_date: None,
        metadata: option.metadata.clone(),
        stand_in: false,
        delivery: Delivery {
            recipient: comune.id,
            broker_id: lit(BROKER),
            station_id: lit(STATION),
            version: PrimitiveVersion::V2,
            received_at: at,
            raw_message: Some(format!(
                "<paSendRTV2Request><receiptId>{receipt_id}</receiptId></paSendRTV2Request>"
            )),
        },
    }
}
