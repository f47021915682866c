//! The report's issues for rows a load refuses: a code, and the reason in Italian and English.

use crate::model::{PositionError, PositionStatus, RowIssue};
use crate::ports::StorageError;

pub(super) fn status_it(status: PositionStatus) -> &'static str {
    match status {
        PositionStatus::Draft => "in bozza",
        PositionStatus::Valid => "pagabile",
        PositionStatus::PartiallyPaid => "parzialmente pagata",
        PositionStatus::Paid => "pagata",
        PositionStatus::Reported => "rendicontata",
        PositionStatus::Expired => "scaduta",
        PositionStatus::Cancelled => "annullata",
    }
}

pub(super) fn write_issue(error: &StorageError) -> RowIssue {
    match error {
        StorageError::Duplicate(what) => RowIssue::new(
            "duplicate_notice",
            format!("{what}: già usato da un'altra posizione dell'ente"),
            format!("{what} is already used by another position of the Ente"),
        ),
        StorageError::Conflict(what) => RowIssue::new(
            "conflict",
            format!("{what}: modificata nel frattempo (per esempio pagata); ricaricare la riga"),
            format!("{what} changed meanwhile (for example it was paid); send the row again"),
        ),
        other => RowIssue::new(
            "not_written",
            format!("non scritta: {other}"),
            format!("not written: {other}"),
        ),
    }
}

/// The report's code and Italian text of a position rule, with the rule's English text.
pub(crate) fn position_issue(error: &PositionError) -> RowIssue {
    let english = error.to_string();
    let (code, italian) = match error {
        PositionError::NoOptions => ("no_options", "la posizione non ha opzioni di pagamento".to_owned()),
        PositionError::TooManyOptions { max } => ("too_many_options", format!("al massimo {max} opzioni di pagamento")),
        PositionError::TransferCount { notice, count } => (
            "transfer_count",
            format!("avviso {notice}: da 1 a 5 trasferimenti, non {count}"),
        ),
        PositionError::TransferIds { notice } => (
            "transfer_ids",
            format!("avviso {notice}: i trasferimenti vanno numerati 1, 2, … in ordine"),
        ),
        PositionError::TransferSum {
            notice,
            amount,
            transfers,
        } => (
            "transfer_sum",
            format!(
                "avviso {notice}: i trasferimenti sommano {transfers} centesimi, l'importo è {} centesimi",
                amount.cents()
            ),
        ),
        PositionError::PrimaryTransfer { notice } => (
            "primary_transfer",
            format!("avviso {notice}: t1_ente deve essere l'ente creditore"),
        ),
        PositionError::PostalAlternative { notice, transfer } => (
            "invalid_postal_iban",
            format!("avviso {notice}: t{transfer}_postal_iban non è un IBAN postale"),
        ),
        PositionError::StampRequest {
            notice,
            transfer,
            problem,
        } => (
            "invalid_stamp",
            format!("avviso {notice}: marca da bollo del trasferimento {transfer} non valida ({problem})"),
        ),
        PositionError::DuplicateNotice(notice) => (
            "duplicate_notice",
            format!("notice_number: l'avviso {notice} compare due volte"),
        ),
        PositionError::ForeignNotice { notice, aux_digit } => (
            "foreign_notice",
            format!("notice_number: l'avviso {notice} non segue lo schema dell'ente (cifra ausiliaria {aux_digit})"),
        ),
        PositionError::Instalments(what) => ("instalments", format!("piano rateale incoerente ({what})")),
        PositionError::NotUpdatable(status) => (
            "not_updatable",
            format!("la posizione è {} e non può più essere modificata", status_it(*status)),
        ),
        _ => ("invalid_position", format!("posizione non valida: {english}")),
    };
    RowIssue { code, italian, english }
}
