//! The receipt PDF: every field in its Italian form, and PDF/A-2b.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{TimeZone, Utc};
use pagopa_documents::render_receipt;
use pagopa_domain::{ReceiptDisposition, StoredReceipt, demo};
use support::{pdf_text, position, scratch, tool_available};

#[test]
fn the_receipt_shows_every_field() {
    let ente = demo::comune();
    let tari = position(demo::tari());
    let option = &tari.options[0];
    // 20 July 2026, 08:15 UTC: 10:15 in Italy (summer time).
    let mut receipt = demo::receipt_for(
        option,
        "rcpt-tari-1",
        Utc.with_ymd_and_hms(2026, 7, 20, 8, 15, 0).unwrap(),
    );
    receipt.fee_cents = Some(150);
    receipt.payment_date_time = Some(Utc.with_ymd_and_hms(2026, 7, 20, 8, 15, 0).unwrap());
    receipt.application_date = Some("2026-07-20".parse().unwrap());
    let stored = StoredReceipt {
        receipt: receipt.clone(),
        disposition: ReceiptDisposition::Settled,
    };
    let pdf = render_receipt(&ente, &stored).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let xmp = String::from_utf8_lossy(&pdf);
    assert!(
        xmp.contains("pdfaid:part") || xmp.contains("<pdfaid:part>2"),
        "no PDF/A identification"
    );
    // The same receipt gives the same bytes (ETags rely on it).
    assert_eq!(pdf, render_receipt(&ente, &stored).unwrap());
    let dir = scratch("receipt");
    let path = dir.join("receipt.pdf");
    std::fs::write(&path, &pdf).unwrap();
    if !tool_available("pdftotext", &["-v"]) {
        return;
    }
    let text = pdf_text(&path);
    let mut expected = vec![
        "Ricevuta di pagamento".to_owned(),
        "Comune di Valdesempio".to_owned(),
        "80012345676".to_owned(),
        "TARI 2026 saldo".to_owned(),
        option.notice_number.to_print_form(),
        option.notice_number.iuv().as_str().to_owned(),
        "245,70 Euro".to_owned(),
        "1,50 Euro".to_owned(),
        "247,20 Euro".to_owned(),
        "20/07/2026 10:15:00".to_owned(),
        "rcpt-tari-1".to_owned(),
        receipt.psp.company_name.as_str().to_owned(),
        receipt.psp.id.as_str().to_owned(),
        "Giuseppe Verdi".to_owned(),
        "VRDGPP80A01B157X".to_owned(),
        "234,00 Euro".to_owned(),
        "11,70 Euro".to_owned(),
        "TEFA 2026 saldo".to_owned(),
        "Provincia di Esempio".to_owned(),
        "copia".to_owned(),
    ];
    expected.push("Data applicativa".to_owned());
    for field in expected {
        assert!(text.contains(&field), "{field:?} missing from the receipt:\n{text}");
    }
}
