//! The top of a notice: header, Ente and debtor, amount and due date, where to pay.

use pagopa_domain::Subject;

use super::{Context, Printable};
use crate::format::{italian_amount, italian_date};
use crate::layout::{BAND, BLUE, CONTENT_WIDTH, INK, MARGIN, MUTED, PAGE_WIDTH, Sheet, Style};
use crate::text::{Face, fit_lines, wrap_lines};

/// Gap between the two columns.
pub(crate) const GUTTER: f32 = 16.0;
/// Width of one of two columns.
pub(crate) const HALF: f32 = (CONTENT_WIDTH - GUTTER) / 2.0;
/// The least height of the header (the reference notices start their first section at about
/// 125 pt).
const HEADER_MIN_HEIGHT: f32 = 120.0;
/// The least heights of the Ente/debtor and the amount/where sections, as pagoPA's layout has
/// them (blocks with more text grow).
const PARTIES_MIN_HEIGHT: f32 = 130.0;
const AMOUNT_MIN_HEIGHT: f32 = 144.0;
/// Height of a section band.
pub(crate) const BAND_HEIGHT: f32 = 17.0;

pub(crate) const LABEL: Style = Style::new(Face::Regular, 7.0, INK);
pub(crate) const VALUE: Style = Style::new(Face::Bold, 8.0, INK);
pub(crate) const BAND_TITLE: Style = Style::new(Face::Bold, 8.0, INK);
pub(crate) const CODE: Style = Style::new(Face::Mono, 9.0, INK);
pub(crate) const BODY: Style = Style::new(Face::Regular, 7.5, INK);

/// A grey band with a title at the left and, optionally, a text at the right.
pub(crate) fn band(sheet: &mut Sheet, x: f32, top: f32, width: f32, title: &str, right: Option<(Style, &str)>) {
    sheet.rect(x, top, width, BAND_HEIGHT, BAND);
    let right_width = right.map_or(0.0, |(style, text)| {
        sheet.fonts.width(style.face, text, style.size) + 8.0
    });
    // The title shrinks before it would run into the right text.
    let (size, lines) = fit_lines(
        sheet.fonts,
        BAND_TITLE.face,
        BAND_TITLE.size,
        5.5,
        title,
        width - 12.0 - right_width,
        1,
    );
    let style = BAND_TITLE.sized(size);
    let first = lines.first().map(String::as_str).unwrap_or_default();
    sheet.text(style, x + 6.0, top + (BAND_HEIGHT - size) / 2.0 - 1.0, first);
    if let Some((style, text)) = right {
        sheet.text_right(
            style,
            x + width - 6.0,
            top + (BAND_HEIGHT - style.size) / 2.0 - 1.0,
            text,
        );
    }
}

/// A small label with a value under it, wrapped to `width`; returns the bottom.
pub(crate) fn field(
    sheet: &mut Sheet,
    x: f32,
    top: f32,
    width: f32,
    label: &str,
    value_style: Style,
    value: &str,
) -> f32 {
    let bottom = sheet.paragraph(LABEL, x, top, width, label);
    sheet.paragraph(value_style, x, bottom, width, value)
}

/// Like [`field`], right-aligned at `right`.
pub(crate) fn right_field(
    sheet: &mut Sheet,
    right: f32,
    top: f32,
    width: f32,
    label: &str,
    value_style: Style,
    value: &str,
) -> f32 {
    let mut y = top;
    for (style, text) in [(LABEL, label), (value_style, value)] {
        for line in wrap_lines(sheet.fonts, style.face, style.size, text, width) {
            sheet.text_right(style, right, y, &line);
            y += style.size * 1.3;
        }
    }
    y
}

/// The header of every page: the pagoPA wordmark, the title, the subject, the Ente logo.
pub(crate) fn header(context: &Context<'_>) -> (Sheet, f32) {
    let mut sheet = context.sheet();
    let top = 26.0;
    let wordmark = Style::new(Face::Bold, 15.0, BLUE);
    let width = sheet.text(wordmark, MARGIN, top, "pagoPA");
    let title = Style::new(Face::Bold, 8.0, INK);
    let title_lines = wrap_lines(sheet.fonts, title.face, title.size, &context.labels.title, 260.0);
    sheet.lines(title, MARGIN + width + 12.0, top + 4.0, 1.2, &title_lines);
    let logo_size = 80.0;
    let text_width = CONTENT_WIDTH - logo_size - 16.0;
    let (size, lines) = fit_lines(
        sheet.fonts,
        Face::Bold,
        16.0,
        11.0,
        context.position.description.as_str(),
        text_width,
        2,
    );
    let bottom = sheet.lines(Style::new(Face::Bold, size, INK), MARGIN, top + 30.0, 1.2, &lines);
    // The header keeps the logo's room whether or not there is one, so every notice has its
    // sections where pagoPA's have them.
    let mut height = (bottom + 10.0).max(HEADER_MIN_HEIGHT);
    if let Some(image) = &context.logo {
        sheet.ops.push(crate::layout::Op::Image {
            x: PAGE_WIDTH - MARGIN - logo_size,
            y: 20.0,
            w: logo_size,
            h: logo_size,
            image: image.clone(),
        });
        height = height.max(20.0 + logo_size + 14.0);
    }
    (sheet, height)
}

/// The debtor's address lines: street and number, then postal code, city and province.
fn address_lines(debtor: &Subject) -> Vec<String> {
    let mut lines = Vec::new();
    let street = [
        debtor.street_name.as_ref().map(|t| t.as_str()),
        debtor.civic_number.as_ref().map(|t| t.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if !street.is_empty() {
        lines.push(street);
    }
    let mut town = [
        debtor.postal_code.as_ref().map(|t| t.as_str()),
        debtor.city.as_ref().map(|t| t.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if let Some(province) = &debtor.province {
        if !town.is_empty() {
            town.push(' ');
        }
        town.push_str(&format!("({})", province.as_str()));
    }
    if !town.is_empty() {
        lines.push(town);
    }
    lines
}

/// The Ente and the debtor, side by side.
pub(crate) fn parties(context: &Context<'_>) -> (Sheet, f32) {
    let mut sheet = context.sheet();
    let small = Style::new(Face::Regular, 7.5, INK);
    let right_x = MARGIN + HALF + GUTTER;
    band(
        &mut sheet,
        MARGIN,
        0.0,
        HALF,
        &context.labels.creditor,
        Some((small, context.ente.id.as_str())),
    );
    band(
        &mut sheet,
        right_x,
        0.0,
        HALF,
        &context.labels.recipient,
        Some((small, context.position.debtor.id.value())),
    );
    let name = Style::new(Face::Bold, 12.0, INK);
    let top = BAND_HEIGHT + 10.0;
    let mut left = sheet.paragraph(name, MARGIN, top, HALF, context.ente.name.as_str());
    if let Some(sector) = &context.ente.sector {
        left = sheet.paragraph(
            Style::new(Face::Regular, 10.0, INK),
            MARGIN,
            left + 4.0,
            HALF,
            sector.as_str(),
        );
    }
    if let Some(info) = &context.ente.info {
        left = sheet.paragraph(
            Style::new(Face::Regular, 7.5, INK),
            MARGIN,
            left + 4.0,
            HALF,
            info.as_str(),
        );
    }
    let debtor = &context.position.debtor;
    let mut right = sheet.paragraph(name, right_x, top, HALF, debtor.full_name.as_str());
    right += 4.0;
    for line in address_lines(debtor) {
        right = sheet.paragraph(Style::new(Face::Regular, 10.0, INK), right_x, right, HALF, &line);
    }
    (sheet, (left.max(right) + 12.0).max(PARTIES_MIN_HEIGHT))
}

/// How much and by when, and where to pay.
pub(crate) fn amount_and_where(context: &Context<'_>, printable: &Printable<'_>) -> (Sheet, f32) {
    let labels = &context.labels;
    let mut sheet = context.sheet();
    let right_x = MARGIN + HALF + GUTTER;
    band(&mut sheet, MARGIN, 0.0, HALF, &labels.how_much, None);
    let go_to = format!("{} pagopa.gov.it", labels.go_to);
    band(
        &mut sheet,
        right_x,
        0.0,
        HALF,
        &labels.where_to_pay,
        Some((Style::new(Face::Bold, 7.5, INK), &go_to)),
    );

    // The amount is the single solution's (or the one option's); with instalments only, their sum.
    let (cents, due) = match printable.single {
        Some(option) => (option.amount.cents(), Some(option.due_date)),
        None => (printable.instalments.iter().map(|o| o.amount.cents()).sum(), None),
    };
    let top = BAND_HEIGHT + 10.0;
    let big = Style::new(Face::Bold, 16.0, INK);
    let label = Style::new(Face::Bold, 7.0, INK);
    sheet.text(label, MARGIN, top, &labels.amount);
    sheet.text(
        big,
        MARGIN,
        top + 9.0,
        &format!("{} {}", italian_amount(cents), labels.euro),
    );
    if let Some(due) = due {
        let x = MARGIN + HALF * 0.55;
        sheet.text(label, x, top + 0.0, &labels.by);
        sheet.text(big, x, top + 9.0, &italian_date(due));
    }
    let mut left = top + 34.0;
    let count = printable.instalments.len();
    if count > 0 {
        let note = if printable.single.is_some() {
            &labels.whole_or_instalments
        } else {
            &labels.instalments_only
        };
        left = sheet.paragraph(
            BODY,
            MARGIN + 12.0,
            left,
            HALF - 12.0,
            &note.replace("{n}", &count.to_string()),
        ) + 4.0;
    }
    sheet.text(Style::new(Face::Bold, 9.0, MUTED), MARGIN, left - 1.0, "i");
    left = sheet.paragraph(BODY, MARGIN + 12.0, left, HALF - 12.0, &labels.amount_may_change);

    let title = Style::new(Face::Bold, 8.0, INK);
    let mut right = sheet.paragraph(title, right_x, top, HALF, &labels.app_title);
    right = sheet.paragraph(BODY, right_x, right, HALF, &labels.app_text) + 6.0;
    right = sheet.paragraph(title, right_x, right, HALF, &labels.territory_title);
    right = sheet.paragraph(BODY, right_x, right, HALF, &labels.territory_text);
    (sheet, (left.max(right) + 14.0).max(AMOUNT_MIN_HEIGHT))
}
