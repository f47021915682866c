//! The payment notice (avviso di pagamento): which options may be printed, and the pages.

mod blocks;
mod labels;
mod payment;
mod postal;

use pagopa_domain::{
    DebtPosition, Ente, EnteLogo, LogoFormat, NoticeLanguage, NoticeNumber, PaymentOption, PositionStatus,
    TransferAccount,
};

use crate::DocumentError;
use crate::layout::{Paginator, Picture, Sheet};
use crate::pdf::{DocumentKind, write_pdf};
use crate::text::Fonts;
use labels::{Labels, labels};

/// Which options of a position a notice shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptionSelection<'a> {
    /// Every option that can still be paid: the single solution (unless instalments have been
    /// paid) and the unpaid instalments.
    #[default]
    Payable,
    /// Only the option with this notice number.
    Only(&'a NoticeNumber),
}

/// What a notice is printed from.
#[derive(Clone, Copy, Debug)]
pub struct NoticeInput<'a> {
    /// The creditor Ente and its notice settings.
    pub ente: &'a Ente,
    /// Its logo, when it has one.
    pub logo: Option<&'a EnteLogo>,
    /// The position.
    pub position: &'a DebtPosition,
    /// The second language of a bilingual notice (Italian always comes first).
    pub language: Option<NoticeLanguage>,
    /// Which options to print.
    pub selection: OptionSelection<'a>,
}

impl<'a> NoticeInput<'a> {
    /// The notice of every payable option, in the Ente's own languages.
    pub fn new(ente: &'a Ente, logo: Option<&'a EnteLogo>, position: &'a DebtPosition) -> Self {
        Self {
            ente,
            logo,
            position,
            language: ente.second_language,
            selection: OptionSelection::Payable,
        }
    }
}

/// The options a notice shows: the single solution (or the one option asked for) and the
/// instalments.
#[derive(Debug)]
pub(crate) struct Printable<'a> {
    pub(crate) single: Option<&'a PaymentOption>,
    pub(crate) instalments: Vec<&'a PaymentOption>,
}

fn stamp_only(option: &PaymentOption) -> bool {
    option
        .transfers
        .iter()
        .all(|t| matches!(t.account, TransferAccount::Stamp(_)))
}

/// The options of `position` that `selection` prints, or why none may be.
pub fn printable_options<'a>(
    position: &'a DebtPosition,
    selection: OptionSelection<'_>,
) -> Result<Vec<&'a PaymentOption>, DocumentError> {
    select(position, selection).map(|p| p.single.into_iter().chain(p.instalments).collect())
}

pub(crate) fn select<'a>(
    position: &'a DebtPosition,
    selection: OptionSelection<'_>,
) -> Result<Printable<'a>, DocumentError> {
    match position.status {
        PositionStatus::Draft => return Err(DocumentError::Draft),
        PositionStatus::Cancelled => return Err(DocumentError::Cancelled),
        PositionStatus::Paid | PositionStatus::Reported => return Err(DocumentError::Paid),
        PositionStatus::Expired => return Err(DocumentError::Expired),
        PositionStatus::Valid | PositionStatus::PartiallyPaid => {}
    }
    let instalments_started = position.options.iter().any(|o| o.instalment.is_some() && o.is_paid());
    match selection {
        OptionSelection::Only(notice) => {
            let option = position
                .option(notice)
                .ok_or_else(|| DocumentError::UnknownNotice(notice.clone()))?;
            if option.is_paid() {
                return Err(DocumentError::OptionAlreadyPaid(notice.clone()));
            }
            if option.instalment.is_none() && instalments_started {
                return Err(DocumentError::InstalmentsStarted(notice.clone()));
            }
            if stamp_only(option) {
                return Err(DocumentError::StampOnlyOption(notice.clone()));
            }
            Ok(Printable {
                single: Some(option),
                instalments: Vec::new(),
            })
        }
        OptionSelection::Payable => {
            let mut single = None;
            let mut instalments = Vec::new();
            for option in position.options.iter().filter(|o| !o.is_paid()) {
                if stamp_only(option) {
                    return Err(DocumentError::StampOnlyOption(option.notice_number.clone()));
                }
                match option.instalment {
                    None if !instalments_started => single = Some(option),
                    None => {}
                    Some(_) => instalments.push(option),
                }
            }
            instalments.sort_by_key(|o| o.instalment.map(|i| i.number));
            if let Some(single) = single
                && !instalments.is_empty()
            {
                let sum: u64 = instalments.iter().map(|o| o.amount.cents()).sum();
                if sum != single.amount.cents() {
                    return Err(DocumentError::InstalmentsDoNotAddUp {
                        single: single.amount.cents(),
                        instalments: sum,
                    });
                }
            }
            if single.is_none() && instalments.is_empty() {
                return Err(DocumentError::NothingToPrint);
            }
            Ok(Printable { single, instalments })
        }
    }
}

/// Everything the blocks of a notice read.
pub(crate) struct Context<'a> {
    pub(crate) fonts: &'static Fonts,
    pub(crate) labels: Labels,
    pub(crate) ente: &'a Ente,
    pub(crate) position: &'a DebtPosition,
    pub(crate) logo: Option<Picture>,
    /// The Ente's 12-digit postal account, when it prints postal slips.
    pub(crate) postal_account: Option<&'a str>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("ente", &self.ente.id).finish()
    }
}

impl Context<'_> {
    pub(crate) fn sheet(&self) -> Sheet {
        Sheet::new(self.fonts)
    }
}

/// Decodes a logo for drawing. SVG logos are parsed with nothing outside the document: no
/// external files or URLs are read, only embedded `data:` images.
pub(crate) fn logo_picture(logo: &EnteLogo) -> Result<Picture, DocumentError> {
    match logo.format() {
        LogoFormat::Png => krilla::image::Image::from_png(krilla::Data::from(logo.bytes().to_vec()), true)
            .map(Picture::Raster)
            .map_err(DocumentError::Logo),
        LogoFormat::Jpeg => krilla::image::Image::from_jpeg(krilla::Data::from(logo.bytes().to_vec()), true)
            .map(Picture::Raster)
            .map_err(DocumentError::Logo),
        LogoFormat::Svg => {
            let options = usvg::Options {
                resources_dir: None,
                image_href_resolver: usvg::ImageHrefResolver {
                    resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
                    resolve_string: Box::new(|_, _| None),
                },
                font_family: "Titillium Web".into(),
                fontdb: crate::text::svg_fonts(),
                ..usvg::Options::default()
            };
            let tree = usvg::Tree::from_data(logo.bytes(), &options)
                .map_err(|e| DocumentError::Logo(format!("the SVG cannot be read: {e}")))?;
            let size = tree.size();
            if !(size.width() > 0.0 && size.height() > 0.0) {
                return Err(DocumentError::Logo("the SVG has no size".into()));
            }
            Ok(Picture::Vector(std::sync::Arc::new(tree)))
        }
        #[allow(unreachable_patterns)]
        other => Err(DocumentError::Logo(format!(
            "{} logos cannot be drawn",
            other.media_type()
        ))),
    }
}

/// Checks that a logo can be drawn on a notice, so a broken one is refused when it is set
/// rather than failing every notice later.
///
/// # Errors
///
/// [`DocumentError::Logo`] with what is wrong.
pub fn check_logo(logo: &EnteLogo) -> Result<(), DocumentError> {
    logo_picture(logo).map(|_| ())
}

/// Renders the payment notice of `input` as PDF bytes.
///
/// Refuses positions and options that cannot be paid from a notice (draft, cancelled, paid,
/// expired, an option already paid, digital stamps only) with the matching [`DocumentError`].
pub fn render_notice(input: &NoticeInput<'_>) -> Result<Vec<u8>, DocumentError> {
    let printable = select(input.position, input.selection)?;
    let fonts = Fonts::get()?;
    let logo = input.logo.map(logo_picture).transpose()?;
    let postal_account = if input.ente.prints_postal_slips() {
        input.ente.postal_iban.as_ref().and_then(|iban| iban.postal_account())
    } else {
        None
    };
    let context = Context {
        fonts,
        labels: labels(input.language),
        ente: input.ente,
        position: input.position,
        logo,
        postal_account,
    };
    let pages = lay_out(&context, &printable)?;
    let title = format!("{} - {}", context.labels.title, input.position.description.as_str());
    write_pdf(fonts, &pages, DocumentKind::Notice { title: &title })
}

fn lay_out(context: &Context<'_>, printable: &Printable<'_>) -> Result<Vec<Vec<crate::layout::Op>>, DocumentError> {
    let (header, header_height) = blocks::header(context);
    let mut pages = Paginator::new(header, header_height);
    let (parties, height) = blocks::parties(context);
    pages.place(parties, height);
    let (amount, height) = blocks::amount_and_where(context, printable);
    pages.place(amount, height);
    if let Some(single) = printable.single {
        let (block, height) = payment::single(context, single)?;
        pages.place(block, height);
        if context.postal_account.is_some() {
            let (block, height) = postal::slip(context, single, printable.instalments.len())?;
            pages.place(block, height);
        }
    }
    for (block, height) in payment::instalment_rows(context, &printable.instalments)? {
        pages.place(block, height);
    }
    if context.postal_account.is_some() {
        for option in &printable.instalments {
            let (block, height) = postal::slip(context, option, printable.instalments.len())?;
            pages.place(block, height);
        }
    }
    Ok(pages.into_pages())
}
