//! A demo installation: the Comune di Valdesempio and the Provincia di Esempio of the shared
//! pagoPA sample messages, a catalogue of four spontaneous services, and expected positions
//! (single, multi-beneficiary, instalments, expired). Used by examples, tests and demo mode.
//! All codes are fictitious but check-digit valid.

use chrono::{DateTime, NaiveDate, Utc};

mod catalogue;

pub use catalogue::catalogue;

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
        sector: Some(lit("Settore Entrate e Tributi")),
        info: Some(lit(
            "www.comune.valdesempio.example - tel. 030 0000000 - PEC protocollo@pec.comune.valdesempio.example",
        )),
        notice_layout: comune_layout(),
        broker_id: lit(BROKER),
        station_id: lit(STATION),
        bank_iban: lit("IT56M0306911200000000046020"),
        postal_iban: Some(lit("IT60J0760111200000012345679")),
        poste_authorisation: Some(lit("AUT. DB/SISB/E 12345 DEL 01/01/2026")),
        cbill: Some(lit("AB123")),
        positions_on_demand: true,
        enabled: true,
        second_language: None,
        gestionale: None,
    }
}

/// The Provincia di Esempio: bank account only.
pub fn provincia() -> Ente {
    Ente {
        id: lit(PROVINCIA),
        name: lit("Provincia di Esempio"),
        office_name: None,
        sector: None,
        info: None,
        notice_layout: NoticeLayout::Aux3 { segregation_code: 6 },
        broker_id: lit(BROKER),
        station_id: lit(STATION),
        bank_iban: lit("IT90P0503411200000000078915"),
        postal_iban: None,
        poste_authorisation: None,
        cbill: None,
        positions_on_demand: false,
        enabled: true,
        second_language: None,
        gestionale: None,
    }
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
        application_date: Some(crate::model::calendar::italian_date(at)),
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
            recovered: false,
        },
    }
}
