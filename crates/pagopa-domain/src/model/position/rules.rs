//! The rules a position's options and transfers must follow.

use std::collections::HashSet;

use super::{DebtPosition, Instalment, PaymentOption, PositionError, StampRequest, TransferAccount};
use crate::value::{EnteId, NoticeLayout};

pub(super) fn validate_options(
    ente: &EnteId,
    layout: NoticeLayout,
    options: &[PaymentOption],
) -> Result<(), PositionError> {
    if options.is_empty() {
        return Err(PositionError::NoOptions);
    }
    if options.len() > DebtPosition::MAX_OPTIONS {
        return Err(PositionError::TooManyOptions {
            max: DebtPosition::MAX_OPTIONS,
        });
    }
    let mut seen = HashSet::new();
    for option in options {
        let notice = &option.notice_number;
        if !seen.insert(notice) {
            return Err(PositionError::DuplicateNotice(notice.clone()));
        }
        if notice.layout() != layout {
            return Err(PositionError::ForeignNotice {
                notice: notice.clone(),
                aux_digit: layout.aux_digit(),
            });
        }
        if option.payment.is_some() {
            return Err(PositionError::PaidInDraft);
        }
        validate_transfers(ente, option)?;
    }
    validate_instalments(options)
}

fn validate_transfers(ente: &EnteId, option: &PaymentOption) -> Result<(), PositionError> {
    let notice = &option.notice_number;
    let count = option.transfers.len();
    if !(1..=5).contains(&count) {
        return Err(PositionError::TransferCount {
            notice: notice.clone(),
            count,
        });
    }
    if option
        .transfers
        .iter()
        .enumerate()
        .any(|(i, t)| usize::from(t.id) != i + 1)
    {
        return Err(PositionError::TransferIds { notice: notice.clone() });
    }
    if &option.transfers[0].ente != ente {
        return Err(PositionError::PrimaryTransfer { notice: notice.clone() });
    }
    for transfer in &option.transfers {
        if let TransferAccount::Stamp(stamp) = &transfer.account
            && let Some(problem) = stamp_problem(stamp)
        {
            return Err(PositionError::StampRequest {
                notice: notice.clone(),
                transfer: transfer.id,
                problem,
            });
        }
        if let TransferAccount::Iban {
            postal_alternative: Some(postal),
            ..
        } = &transfer.account
            && !postal.is_italian_postal()
        {
            return Err(PositionError::PostalAlternative {
                notice: notice.clone(),
                transfer: transfer.id,
            });
        }
    }
    let total = option
        .transfers
        .iter()
        .fold(0u64, |acc, t| acc.saturating_add(t.amount.cents()));
    if total != option.amount.cents() {
        return Err(PositionError::TransferSum {
            notice: notice.clone(),
            amount: option.amount,
            transfers: total,
        });
    }
    Ok(())
}

/// What pagoPA's `ctRichiestaMarcaDaBollo` would refuse: `tipoBollo` other than `01`, a
/// `hashDocumento` that is not base64 of 4 to 72 characters.
fn stamp_problem(stamp: &StampRequest) -> Option<&'static str> {
    let hash = stamp.document_hash.as_str();
    if stamp.stamp_type.as_str() != "01" {
        return Some("has a stamp type other than 01");
    }
    let base64 = hash.len().is_multiple_of(4)
        && hash
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        && hash.len() - hash.trim_end_matches('=').len() <= 2;
    if !(4..=72).contains(&hash.len()) || !base64 {
        return Some("needs a document hash in base64 of 4 to 72 characters");
    }
    None
}

fn validate_instalments(options: &[PaymentOption]) -> Result<(), PositionError> {
    let singles = options.iter().filter(|o| o.instalment.is_none()).count();
    if singles > 1 {
        return Err(PositionError::Instalments("more than one single-solution option"));
    }
    let mut numbers: Vec<Instalment> = options.iter().filter_map(|o| o.instalment).collect();
    if numbers.is_empty() {
        return Ok(());
    }
    numbers.sort_by_key(|i| i.number);
    let count = numbers.len();
    let consistent = numbers
        .iter()
        .enumerate()
        .all(|(i, inst)| usize::from(inst.number) == i + 1 && usize::from(inst.of) == count);
    if !consistent {
        return Err(PositionError::Instalments("instalments must be numbered 1..n of n"));
    }
    Ok(())
}
