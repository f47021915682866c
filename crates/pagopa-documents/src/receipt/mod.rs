//! The receipt (ricevuta di pagamento): the Ente's copy of pagoPA's receipt, as PDF/A-2b.

use pagopa_domain::{Ente, Receipt, StoredReceipt, Subject};

use crate::DocumentError;
use crate::format::{italian_amount, italian_date, italian_time};
use crate::layout::{BAND, BLUE, CONTENT_WIDTH, INK, MARGIN, MUTED, Paginator, Sheet, Style};
use crate::pdf::{DocumentKind, write_pdf};
use crate::text::{Face, Fonts};

const LABEL_WIDTH: f32 = 150.0;
const LABEL: Style = Style::new(Face::Regular, 9.0, MUTED);
const VALUE: Style = Style::new(Face::Bold, 9.5, INK);
const CODE: Style = Style::new(Face::Mono, 9.0, INK);

/// Renders the receipt as a PDF/A-2b document: Ente, subject, notice and IUV, amount, fee and
/// total, payment date and time (Italian time), application date, PSP, receipt id, payer and
/// debtor, and every transfer.
pub fn render_receipt(ente: &Ente, stored: &StoredReceipt) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::get()?;
    let receipt = &stored.receipt;
    let mut header = Sheet::new(fonts);
    header.text(Style::new(Face::Bold, 15.0, BLUE), MARGIN, 26.0, "pagoPA");
    let bottom = header.paragraph(
        Style::new(Face::Bold, 18.0, INK),
        MARGIN,
        52.0,
        CONTENT_WIDTH,
        "Ricevuta di pagamento",
    );
    // Rows are laid out as one block per section so a section never splits badly.
    let mut rest = Vec::new();
    rest.push(rows(fonts, "Dati del pagamento", &payment_rows(receipt)));
    rest.push(rows(fonts, "Prestatore di servizi di pagamento", &psp_rows(receipt)));
    rest.push(rows(fonts, "Soggetti", &subject_rows(receipt)));
    for transfer in &receipt.transfers {
        let beneficiary = transfer
            .company_name
            .as_ref()
            .map(|n| format!("{} ({})", n.as_str(), transfer.ente.as_str()))
            .unwrap_or_else(|| {
                if transfer.ente == receipt.ente {
                    format!("{} ({})", ente.name.as_str(), transfer.ente.as_str())
                } else {
                    transfer.ente.as_str().to_owned()
                }
            });
        let mut list = vec![
            ("Ente beneficiario".to_owned(), beneficiary, VALUE),
            (
                "Importo".to_owned(),
                format!("{} Euro", italian_amount(transfer.amount.cents())),
                CODE,
            ),
            ("Causale".to_owned(), transfer.remittance.as_str().to_owned(), VALUE),
        ];
        match &transfer.iban {
            Some(iban) => list.push(("Conto".to_owned(), iban.to_print_form(), CODE)),
            None => list.push(("Conto".to_owned(), "Marca da bollo digitale".to_owned(), VALUE)),
        }
        rest.push(rows(fonts, &format!("Trasferimento {}", transfer.id), &list));
    }
    let mut pages = Paginator::new(header, bottom + 12.0);
    for (sheet, height) in rest {
        pages.place(sheet, height);
    }
    let mut footer = Sheet::new(fonts);
    let text = format!(
        "Questo documento è la copia dell'Ente {} della ricevuta telematica pagoPA del pagamento.",
        ente.name.as_str()
    );
    let height = footer.paragraph(Style::new(Face::Regular, 8.5, MUTED), MARGIN, 6.0, CONTENT_WIDTH, &text);
    pages.place(footer, height + 6.0);
    let title = format!("Ricevuta di pagamento {}", receipt.receipt_id.as_str());
    write_pdf(
        fonts,
        &pages.into_pages(),
        DocumentKind::Receipt {
            title: &title,
            date: receipt.delivery.received_at,
        },
    )
}

type Row = (String, String, Style);

fn row(label: &str, value: String, style: Style) -> Row {
    (label.to_owned(), value, style)
}

fn payment_rows(receipt: &Receipt) -> Vec<Row> {
    let mut list = vec![
        row("Ente creditore", receipt.company_name.as_str().to_owned(), VALUE),
        row("Codice fiscale Ente", receipt.ente.as_str().to_owned(), CODE),
        row("Oggetto del pagamento", receipt.description.as_str().to_owned(), VALUE),
        row("Codice avviso", receipt.notice_number.to_print_form(), CODE),
        row("IUV", receipt.creditor_reference_id.as_str().to_owned(), CODE),
        row(
            "Importo",
            format!("{} Euro", italian_amount(receipt.amount.cents())),
            CODE,
        ),
    ];
    if let Some(fee) = receipt.fee_cents {
        list.push(row("Commissione", format!("{} Euro", italian_amount(fee)), CODE));
        let total = receipt.amount.cents().saturating_add(fee);
        list.push(row("Totale pagato", format!("{} Euro", italian_amount(total)), CODE));
    } else {
        list.push(row(
            "Totale pagato",
            format!("{} Euro", italian_amount(receipt.amount.cents())),
            CODE,
        ));
    }
    let (local, offset) = italian_time(receipt.paid_at());
    list.push(row(
        "Data e ora del pagamento",
        format!("{} ora italiana (UTC+{offset})", local.format("%d/%m/%Y %H:%M:%S")),
        VALUE,
    ));
    if let Some(date) = receipt.application_date {
        list.push(row("Data applicativa", italian_date(date), VALUE));
    }
    list.push(row(
        "Identificativo ricevuta",
        receipt.receipt_id.as_str().to_owned(),
        CODE,
    ));
    list
}

fn psp_rows(receipt: &Receipt) -> Vec<Row> {
    let mut list = vec![
        row("Prestatore (PSP)", receipt.psp.company_name.as_str().to_owned(), VALUE),
        row("Identificativo PSP", receipt.psp.id.as_str().to_owned(), CODE),
    ];
    if let Some(method) = &receipt.payment_method {
        list.push(row("Metodo di pagamento", method.as_str().to_owned(), VALUE));
    }
    list
}

fn subject_text(subject: &Subject) -> String {
    format!("{} ({})", subject.full_name.as_str(), subject.id.value())
}

fn subject_rows(receipt: &Receipt) -> Vec<Row> {
    let payer = receipt.payer.as_ref().unwrap_or(&receipt.debtor);
    vec![
        row("Pagatore", subject_text(payer), VALUE),
        row("Debitore", subject_text(&receipt.debtor), VALUE),
    ]
}

/// A titled section of label/value rows; returns it with its height.
fn rows(fonts: &'static Fonts, title: &str, list: &[Row]) -> (Sheet, f32) {
    let mut sheet = Sheet::new(fonts);
    sheet.rect(MARGIN, 0.0, CONTENT_WIDTH, 18.0, BAND);
    sheet.text(Style::new(Face::Bold, 9.5, INK), MARGIN + 6.0, 4.0, title);
    let mut y = 26.0;
    for (label, value, style) in list {
        let label_bottom = sheet.paragraph(LABEL, MARGIN + 6.0, y, LABEL_WIDTH - 10.0, label);
        let value_bottom = sheet.paragraph(
            *style,
            MARGIN + LABEL_WIDTH,
            y,
            CONTENT_WIDTH - LABEL_WIDTH - 6.0,
            value,
        );
        y = label_bottom.max(value_bottom) + 3.0;
    }
    (sheet, y + 10.0)
}
