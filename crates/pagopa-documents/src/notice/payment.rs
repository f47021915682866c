//! The payment data: the single solution with its QR code, and the instalment cards.

use pagopa_domain::PaymentOption;

use super::Context;
use super::blocks::{BAND_HEIGHT, CODE, LABEL, VALUE, band, field, right_field};
use crate::DocumentError;
use crate::barcodes::{Matrix, qr_matrix, qr_payload};
use crate::format::{italian_amount, italian_date};
use crate::layout::{CONTENT_WIDTH, INK, MARGIN, Op, Sheet, Style};
use crate::text::{Face, fit_lines};

/// The side of the QR code: 25 mm.
pub(crate) const QR_SIDE: f32 = 25.0 * 72.0 / 25.4;

/// The least heights of the single solution's block and of a row of instalment cards (by
/// cards per row), as pagoPA's layout has them.
const SINGLE_MIN_HEIGHT: f32 = 172.0;
fn row_min_height(columns: usize) -> f32 {
    match columns {
        2 => 247.0,
        3 => 188.0,
        _ => 0.0,
    }
}

/// Draws `matrix` as a square of `side` points at (`x`, `y`).
pub(crate) fn symbol(sheet: &mut Sheet, matrix: Matrix, x: f32, y: f32, side: f32) {
    let module = side / matrix.columns as f32;
    sheet.ops.push(Op::Modules {
        x,
        y,
        module,
        columns: matrix.columns,
        dark: matrix.dark,
    });
}

fn qr_of(context: &Context<'_>, option: &PaymentOption) -> Result<Matrix, DocumentError> {
    qr_matrix(&qr_payload(&option.notice_number, &context.ente.id, option.amount))
}

/// "Rata unica entro il …", or "Rata 2 di 3 entro il …" for one instalment on its own.
pub(crate) fn option_title(context: &Context<'_>, option: &PaymentOption, by: &str) -> String {
    let labels = &context.labels;
    let date = italian_date(option.due_date);
    match option.instalment {
        None => format!("{} {by} {date}", labels.single_solution),
        Some(i) => format!("{} {} {} {} {by} {date}", labels.instalment, i.number, labels.of, i.of),
    }
}

/// The payment data of one option across the page: QR code, names, amount and codes.
pub(crate) fn single(context: &Context<'_>, option: &PaymentOption) -> Result<(Sheet, f32), DocumentError> {
    let labels = &context.labels;
    let mut sheet = context.sheet();
    let title = option_title(context, option, &labels.by);
    band(
        &mut sheet,
        MARGIN,
        0.0,
        CONTENT_WIDTH,
        &labels.payment_data,
        Some((Style::new(Face::Bold, 8.0, INK), &title)),
    );
    let top = BAND_HEIGHT + 12.0;
    symbol(&mut sheet, qr_of(context, option)?, MARGIN, top, QR_SIDE);

    let x = MARGIN + 130.0;
    let amount_width = 130.0;
    let width = CONTENT_WIDTH - 130.0 - amount_width;
    let mut y = field(
        &mut sheet,
        x,
        top,
        width,
        &labels.recipient_short,
        VALUE,
        context.position.debtor.full_name.as_str(),
    );
    y = field(
        &mut sheet,
        x,
        y + 4.0,
        width,
        &labels.creditor_short,
        VALUE,
        context.ente.name.as_str(),
    );
    y = field(
        &mut sheet,
        x,
        y + 4.0,
        width,
        &labels.subject,
        VALUE,
        option_subject(context, option),
    );

    let amount = Style::new(Face::Mono, 13.0, INK);
    let amount_text = italian_amount(option.amount.cents());
    let amount_width_drawn = sheet.fonts.width(amount.face, &amount_text, amount.size);
    let right = MARGIN + CONTENT_WIDTH;
    sheet.text_right(amount, right, top, &amount_text);
    sheet.text_right(
        Style::new(Face::Regular, 9.0, INK),
        right - amount_width_drawn - 4.0,
        top + 3.0,
        &labels.euro,
    );

    // The codes line up with the hint under the QR code, as on pagoPA's notices.
    let codes_top = (y + 8.0).max(top + QR_SIDE + 30.0);
    let scan_bottom = sheet.paragraph(LABEL, MARGIN, codes_top, 105.0, &labels.scan_beside);
    let mut cx = x;
    if let Some(cbill) = &context.ente.cbill {
        field(&mut sheet, cx, codes_top, 80.0, &labels.cbill, CODE, cbill.as_str());
        cx += 90.0;
    }
    field(
        &mut sheet,
        cx,
        codes_top,
        150.0,
        &labels.notice_code,
        CODE,
        &option.notice_number.to_print_form(),
    );
    let fiscal_bottom = right_field(
        &mut sheet,
        right,
        codes_top,
        right - (cx + 160.0),
        &labels.ente_fiscal_code,
        CODE,
        context.ente.id.as_str(),
    );
    let bottom = fiscal_bottom
        .max(codes_top + LABEL.size * 1.3 + CODE.size * 1.3)
        .max(scan_bottom);
    Ok((sheet, (bottom + 14.0).max(SINGLE_MIN_HEIGHT)))
}

/// The option's own description when it has one different from the position's, else the
/// position's.
pub(crate) fn option_subject<'a>(context: &'a Context<'_>, option: &'a PaymentOption) -> &'a str {
    let own = option.description.as_str();
    if own.trim().is_empty() {
        context.position.description.as_str()
    } else {
        own
    }
}

/// How many cards go in a row: 2 or 3, 4 in the compact grid of 9 or more.
fn per_row(count: usize) -> usize {
    match count {
        0..=2 | 4 => 2,
        3 | 5..=8 => 3,
        _ => 4,
    }
}

/// The instalment cards, a row per block.
pub(crate) fn instalment_rows(
    context: &Context<'_>,
    instalments: &[&PaymentOption],
) -> Result<Vec<(Sheet, f32)>, DocumentError> {
    let columns = per_row(instalments.len());
    let gap = 10.0;
    let width = (CONTENT_WIDTH - gap * (columns as f32 - 1.0)) / columns as f32;
    let mut rows = Vec::new();
    for chunk in instalments.chunks(columns) {
        let mut sheet = context.sheet();
        let mut height: f32 = 0.0;
        for (index, option) in chunk.iter().enumerate() {
            let card_height = if columns == 4 {
                compact_card(
                    context,
                    &mut sheet,
                    option,
                    MARGIN + index as f32 * (width + gap),
                    width,
                )?
            } else {
                card(
                    context,
                    &mut sheet,
                    option,
                    MARGIN + index as f32 * (width + gap),
                    width,
                )?
            };
            height = height.max(card_height);
        }
        let padding = if columns == 3 { 2.0 } else { 14.0 };
        rows.push((sheet, (height + padding).max(row_min_height(columns))));
    }
    Ok(rows)
}

fn instalment_name(context: &Context<'_>, option: &PaymentOption) -> String {
    match option.instalment {
        Some(i) => format!(
            "{} {} {} {}",
            context.labels.instalment, i.number, context.labels.of, i.of
        ),
        None => context.labels.single_solution.clone(),
    }
}

/// One instalment card; returns its height. Three to a row, the card is set denser (a 20 mm QR
/// code and smaller type, as pagoPA's three-column cards).
fn card(
    context: &Context<'_>,
    sheet: &mut Sheet,
    option: &PaymentOption,
    x: f32,
    width: f32,
) -> Result<f32, DocumentError> {
    let labels = &context.labels;
    let dense = width < 200.0;
    let (qr_side, label, gap) = if dense {
        (20.0 * 72.0 / 25.4, LABEL.sized(6.0), 2.0)
    } else {
        (QR_SIDE, LABEL, 3.0)
    };
    let field = |sheet: &mut Sheet, x: f32, top: f32, width: f32, name: &str, style: Style, value: &str| {
        let bottom = sheet.paragraph(label, x, top, width, name);
        sheet.paragraph(style, x, bottom, width, value)
    };
    band(sheet, x, 0.0, width, &instalment_name(context, option), None);
    let top = BAND_HEIGHT + if dense { 8.0 } else { 10.0 };
    let inner = x + 6.0;
    let text_width = width - 12.0;
    let qr_x = x + width - qr_side - 4.0;
    symbol(sheet, qr_of(context, option)?, qr_x, top, qr_side);
    let beside = qr_x - inner - 4.0;
    let amount = Style::new(Face::Mono, if dense { 9.0 } else { 10.0 }, INK);
    let amount_text = italian_amount(option.amount.cents());
    let mut y = field(sheet, inner, top, beside, &labels.euro, amount, &amount_text);
    let due = italian_date(option.due_date);
    y = field(sheet, inner, y + gap, beside, &labels.by_capital, amount, &due);
    let code = Style::new(Face::Mono, if dense { 8.0 } else { 8.5 }, INK);
    y = y.max(top + qr_side) + gap + 1.0;
    let notice = option.notice_number.to_print_form();
    y = field(sheet, inner, y, text_width, &labels.notice_code, code, &notice);
    let half = text_width / 2.0;
    let fiscal = context.ente.id.as_str();
    let left = field(sheet, inner, y + gap, half, &labels.ente_fiscal_code, code, fiscal);
    let mut right = left;
    if let Some(cbill) = &context.ente.cbill {
        right = field(sheet, inner + half, y + gap, half, &labels.cbill, code, cbill.as_str());
    }
    y = left.max(right) + gap + 1.0;
    let value = Style::new(Face::Bold, 7.0, INK);
    let subject = option_subject(context, option);
    y = field(sheet, inner, y, text_width, &labels.subject, value, subject);
    let name = context.ente.name.as_str();
    y = field(sheet, inner, y + gap, text_width, &labels.creditor_short, value, name);
    let hint = LABEL.sized(if dense { 5.5 } else { 6.5 });
    y = sheet.paragraph(hint, inner, y + 2.0 * gap, text_width, &labels.scan_above);
    Ok(y)
}

/// A compact card of the grid of 9 or more instalments.
fn compact_card(
    context: &Context<'_>,
    sheet: &mut Sheet,
    option: &PaymentOption,
    x: f32,
    width: f32,
) -> Result<f32, DocumentError> {
    let labels = &context.labels;
    band(sheet, x, 0.0, width, &instalment_name(context, option), None);
    let top = BAND_HEIGHT + 8.0;
    let inner = x + 6.0;
    symbol(sheet, qr_of(context, option)?, inner, top, QR_SIDE);
    let amount = Style::new(Face::Mono, 9.0, INK);
    let mut y = top + QR_SIDE + 6.0;
    y = field(
        sheet,
        inner,
        y,
        width - 12.0,
        &labels.euro,
        amount,
        &italian_amount(option.amount.cents()),
    );
    y = field(
        sheet,
        inner,
        y + 2.0,
        width - 12.0,
        &labels.by_capital,
        amount,
        &italian_date(option.due_date),
    );
    let (size, lines) = fit_lines(
        sheet.fonts,
        Face::Mono,
        8.0,
        6.0,
        &option.notice_number.to_print_form(),
        width - 12.0,
        1,
    );
    y = sheet.paragraph(LABEL, inner, y + 2.0, width - 12.0, &labels.notice_code);
    y = sheet.lines(Style::new(Face::Mono, size, INK), inner, y, 1.3, &lines);
    Ok(y)
}
