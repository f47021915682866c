//! The Bollettino Postale PA of one option, with its Data Matrix.

use pagopa_domain::PaymentOption;

use super::Context;
use super::blocks::{BODY, CODE, LABEL, band, field, right_field};
use super::payment::{option_subject, symbol};
use crate::DocumentError;
use crate::barcodes::{PostalSlip, data_matrix, data_matrix_payload};
use crate::format::{italian_amount, italian_date};
use crate::layout::{CONTENT_WIDTH, INK, MARGIN, MUTED, RULE, Sheet, Style};
use crate::text::Face;

/// The side of the Data Matrix: about 23 mm.
const DATA_MATRIX_SIDE: f32 = 23.0 * 72.0 / 25.4;

/// The least height of a slip, as pagoPA's layout has it: three to a page after a row of
/// three instalment cards, else two.
fn min_height(instalments: usize) -> f32 {
    if instalments >= 3 { 172.0 } else { 200.0 }
}

/// The postal slip of `option`, on a notice with `instalments` instalments.
pub(crate) fn slip(
    context: &Context<'_>,
    option: &PaymentOption,
    instalments: usize,
) -> Result<(Sheet, f32), DocumentError> {
    let labels = &context.labels;
    let mut sheet = context.sheet();
    let Some(account) = context.postal_account else {
        return Ok((sheet, 0.0));
    };
    // The cut line above the slip.
    sheet.rect(MARGIN, 0.0, CONTENT_WIDTH, 0.5, RULE);
    let top = 8.0;
    let title = match option.instalment {
        None => format!(
            "{} {} {}",
            labels.single_solution,
            labels.by,
            italian_date(option.due_date)
        ),
        Some(i) => format!(
            "{} {} {} {}",
            labels.instalment,
            i.number,
            labels.by,
            italian_date(option.due_date)
        ),
    };
    band(
        &mut sheet,
        MARGIN,
        top,
        CONTENT_WIDTH,
        &format!("{}    BancoPosta", labels.postal_title),
        Some((Style::new(Face::Bold, 8.0, INK), &title)),
    );
    // Vertical places follow pagoPA's slip: wordmark and account about 40 pt under the band,
    // names from 70, the Data Matrix from 78, the codes from 128.
    let body_top = top + 40.0;
    let left_width = 110.0;
    sheet.text(Style::new(Face::Bold, 14.0, INK), MARGIN, body_top, "Poste Italiane");
    let mut left = sheet.paragraph(BODY, MARGIN, top + 72.0, left_width, &labels.postal_text);
    if let Some(authorisation) = &context.ente.poste_authorisation {
        left = sheet.paragraph(
            Style::new(Face::Regular, 6.0, MUTED),
            MARGIN,
            left + 6.0,
            left_width,
            authorisation.as_str(),
        );
    }

    let x = MARGIN + left_width + 16.0;
    let right = MARGIN + CONTENT_WIDTH;
    let big = Style::new(Face::Mono, 12.0, INK);
    let drawn = sheet.text(
        Style::new(Face::Regular, 9.0, INK),
        x,
        body_top + 2.0,
        &labels.postal_account,
    );
    sheet.text(big, x + drawn + 4.0, body_top, account);
    let amount_text = italian_amount(option.amount.cents());
    let amount_width = sheet.fonts.width(big.face, &amount_text, big.size);
    sheet.text_right(big, right, body_top, &amount_text);
    sheet.text_right(
        Style::new(Face::Regular, 9.0, INK),
        right - amount_width - 4.0,
        body_top + 2.0,
        &labels.euro,
    );

    let debtor = &context.position.debtor;
    let subject = option_subject(context, option);
    let payload = data_matrix_payload(&PostalSlip {
        notice: &option.notice_number,
        postal_account: account,
        amount: option.amount,
        ente: &context.ente.id,
        debtor_id: debtor.id.value(),
        debtor_name: debtor.full_name.as_str(),
        subject,
    });
    let matrix_x = right - DATA_MATRIX_SIDE;
    let text_width = matrix_x - x - 12.0;
    let mut y = top + 72.0;
    for (label, value) in [
        (&labels.holder, context.ente.name.as_str()),
        (&labels.recipient_short, debtor.full_name.as_str()),
        (&labels.postal_subject, subject),
    ] {
        let drawn = sheet.text(LABEL, x, y + 0.5, label);
        y = sheet.paragraph(
            Style::new(Face::Bold, 7.5, INK),
            x + drawn + 5.0,
            y,
            text_width - drawn - 5.0,
            value,
        ) + 2.0;
    }
    let matrix_top = top + 78.0;
    let mut matrix_bottom = matrix_top;
    match payload {
        Some(payload) => {
            symbol(
                &mut sheet,
                data_matrix(&payload)?,
                matrix_x,
                matrix_top,
                DATA_MATRIX_SIDE,
            );
            matrix_bottom += DATA_MATRIX_SIDE;
        }
        None => {
            matrix_bottom = sheet.paragraph(
                BODY,
                matrix_x - 40.0,
                matrix_top,
                DATA_MATRIX_SIDE + 40.0,
                &labels.postal_too_large,
            );
        }
    }
    let codes_top = (y + 6.0).max(top + 128.0);
    let kind_x = x + 150.0;
    let fiscal_right = matrix_x - 10.0;
    let notice_bottom = field(
        &mut sheet,
        x,
        codes_top,
        145.0,
        &labels.notice_code,
        CODE,
        &option.notice_number.to_print_form(),
    );
    let kind_bottom = field(&mut sheet, kind_x, codes_top, 40.0, &labels.kind, CODE, "P1");
    let fiscal_bottom = right_field(
        &mut sheet,
        fiscal_right,
        codes_top,
        fiscal_right - kind_x - 45.0,
        &labels.creditor_fiscal_code,
        CODE,
        context.ente.id.as_str(),
    );
    let line = notice_bottom.max(kind_bottom).max(fiscal_bottom) - CODE.size * 1.4;
    let bottom = (line + CODE.size * 1.4).max(left).max(matrix_bottom);
    Ok((sheet, (bottom + 12.0).max(min_height(instalments))))
}
