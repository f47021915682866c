//! The two symbols of a notice: the pagoPA QR code and the Data Matrix of the Bollettino
//! Postale PA, their payloads and their module matrices (drawn as vector squares).

use datamatrix::{DataMatrix, SymbolList};
use pagopa_domain::{AmountCents, EnteId, NoticeNumber};
use qrcode::{EcLevel, QrCode, Version};

use crate::DocumentError;
use crate::format::fixed_width;

/// The pagoPA QR code payload: `PAGOPA|002|<notice>|<Ente fiscal code>|<amount in cents>`.
///
/// ```
/// use pagopa_documents::barcodes::qr_payload;
///
/// let notice = "302032002700000251".parse().unwrap();
/// let ente = "80012345676".parse().unwrap();
/// let amount = "1234.56".parse().unwrap();
/// assert_eq!(qr_payload(&notice, &ente, amount), "PAGOPA|002|302032002700000251|80012345676|123456");
/// ```
pub fn qr_payload(notice: &NoticeNumber, ente: &EnteId, amount: AmountCents) -> String {
    format!("PAGOPA|002|{}|{}|{}", notice.as_str(), ente.as_str(), amount.cents())
}

/// What the Data Matrix of a Bollettino Postale PA carries.
#[derive(Clone, Copy, Debug)]
pub struct PostalSlip<'a> {
    /// The notice paid.
    pub notice: &'a NoticeNumber,
    /// The 12-digit postal account credited.
    pub postal_account: &'a str,
    /// The amount.
    pub amount: AmountCents,
    /// The Ente's fiscal code.
    pub ente: &'a EnteId,
    /// The debtor's fiscal code (or `ANONIMO`).
    pub debtor_id: &'a str,
    /// The debtor's name.
    pub debtor_name: &'a str,
    /// The subject of the payment.
    pub subject: &'a str,
}

/// The largest amount the Data Matrix codeline holds: ten digits of cents.
pub const POSTAL_MAX_CENTS: u64 = 9_999_999_999;

/// The 256-character Data Matrix payload of a Bollettino Postale PA (pagoPA protocol notes §11),
/// or `None` when the amount needs more than the ten digits its codeline has. Texts are folded to
/// ASCII and cut to their field's width, as the fixed format demands.
pub fn data_matrix_payload(slip: &PostalSlip<'_>) -> Option<String> {
    let cents = slip.amount.cents();
    if cents > POSTAL_MAX_CENTS {
        return None;
    }
    let account: String = slip.postal_account.chars().filter(char::is_ascii_digit).collect();
    let mut payload = String::with_capacity(256);
    payload.push_str("codfase=NBPA;");
    payload.push_str("18");
    payload.push_str(slip.notice.as_str());
    payload.push_str("12");
    payload.push_str(&format!("{account:0>12}"));
    payload.push_str("10");
    payload.push_str(&format!("{cents:010}"));
    payload.push('3');
    payload.push_str("896");
    payload.push_str("1P1");
    payload.push_str(&fixed_width(slip.ente.as_str(), 11));
    payload.push_str(&fixed_width(slip.debtor_id, 16));
    payload.push_str(&fixed_width(slip.debtor_name, 40));
    payload.push_str(&fixed_width(slip.subject, 110));
    payload.push_str(&" ".repeat(12));
    payload.push('A');
    Some(payload)
}

/// A symbol's modules: `columns` wide, row-major, `true` for dark.
#[derive(Clone, Debug)]
pub(crate) struct Matrix {
    pub(crate) columns: usize,
    pub(crate) dark: Vec<bool>,
}

/// The QR code of `payload`: version 4 (33 × 33), error correction M.
pub(crate) fn qr_matrix(payload: &str) -> Result<Matrix, DocumentError> {
    let code = QrCode::with_version(payload.as_bytes(), Version::Normal(4), EcLevel::M).map_err(|error| {
        DocumentError::Barcode {
            symbol: "QR code",
            reason: error.to_string(),
        }
    })?;
    Ok(Matrix {
        columns: code.width(),
        dark: code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect(),
    })
}

/// The ECC200 Data Matrix of `payload`: the smallest square that holds it, 48 × 48 for the
/// notice payload (larger squares are listed only because the encoder checks the list's
/// capacity against one codeword per byte before it optimises).
pub(crate) fn data_matrix(payload: &str) -> Result<Matrix, DocumentError> {
    let symbols = SymbolList::default().enforce_square().enforce_width_in(48..);
    let code = DataMatrix::encode(payload.as_bytes(), symbols).map_err(|error| DocumentError::Barcode {
        symbol: "Data Matrix",
        reason: format!("{error:?}"),
    })?;
    let bitmap = code.bitmap();
    Ok(Matrix {
        columns: bitmap.width(),
        dark: bitmap.bits().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_version_4() {
        let matrix = qr_matrix("PAGOPA|002|302032002700000251|99999000013|99999999999").unwrap();
        assert_eq!(matrix.columns, 33);
        assert_eq!(matrix.dark.len(), 33 * 33);
    }

    #[test]
    fn the_data_matrix_is_48_square_and_decodes_back() {
        let notice = pagopa_domain::demo::comune_notice(2_601_000_004_711);
        let ente: EnteId = "99999000013".parse().unwrap();
        let payload = data_matrix_payload(&PostalSlip {
            notice: &notice,
            postal_account: "000000123456",
            amount: AmountCents::new(150_000).unwrap(),
            ente: &ente,
            debtor_id: "FFFCST83A15L113V",
            debtor_name: "Mario Rossi",
            subject: "Avviso Pagamento di TEST",
        })
        .unwrap();
        assert_eq!(payload.len(), 256);
        assert_eq!(&payload[15..33], notice.as_str());
        assert_eq!(&payload[49..59], "0000150000");
        assert_eq!(&payload[66..77], "99999000013");
        let matrix = data_matrix(&payload).unwrap();
        assert_eq!(matrix.columns, 48);
        let decoded = DataMatrix::decode(&matrix.dark, matrix.columns).unwrap();
        assert_eq!(decoded, payload.as_bytes());
    }

    #[test]
    fn amounts_beyond_ten_digits_have_no_postal_slip() {
        let notice = pagopa_domain::demo::comune_notice(2_601_000_004_711);
        let ente: EnteId = "99999000013".parse().unwrap();
        let slip = PostalSlip {
            notice: &notice,
            postal_account: "000000123456",
            amount: AmountCents::new(99_999_999_999).unwrap(),
            ente: &ente,
            debtor_id: "FFFCST83A15L113V",
            debtor_name: "Mario Rossi",
            subject: "x",
        };
        assert!(data_matrix_payload(&slip).is_none());
    }
}
