//! Writing display lists as a PDF document.

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::{Document, SerializeSettings};

use crate::DocumentError;
use crate::layout::{Op, PAGE_HEIGHT, PAGE_WIDTH, draw_page};
use crate::text::Fonts;

/// What is written, for the document's settings and metadata.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DocumentKind<'a> {
    /// A payment notice: plain PDF, as small and fast as it gets.
    Notice {
        /// The document title.
        title: &'a str,
    },
    /// A receipt: PDF/A-2b, for archiving.
    Receipt {
        /// The document title.
        title: &'a str,
        /// The document date (PDF/A wants one): when the receipt reached us, so the same receipt
        /// always gives the same bytes.
        date: chrono::DateTime<chrono::Utc>,
    },
}

/// The PDF of `pages`.
pub(crate) fn write_pdf(fonts: &Fonts, pages: &[Vec<Op>], kind: DocumentKind<'_>) -> Result<Vec<u8>, DocumentError> {
    let (title, configuration, date) = match kind {
        DocumentKind::Notice { title } => (title, ConfigurationBuilder::new(), None),
        DocumentKind::Receipt { title, date } => (
            title,
            ConfigurationBuilder::new().with_archival_validator(Archival::A2_B),
            Some(date),
        ),
    };
    let configuration = configuration
        .finish()
        .map_err(|error| DocumentError::Pdf(format!("{error:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let mut metadata = Metadata::new()
        .title(title.to_owned())
        .language("it".to_owned())
        .creator("pagopa-documents".to_owned())
        .producer("pagopa-documents (krilla)".to_owned());
    if let Some(date) = date {
        use chrono::{Datelike, Timelike};
        let year = u16::try_from(date.year()).unwrap_or(2000);
        metadata = metadata.creation_date(
            krilla::metadata::DateTime::new(year)
                .month(date.month() as u8)
                .day(date.day() as u8)
                .hour(date.hour() as u8)
                .minute(date.minute() as u8)
                .second(date.second() as u8)
                .utc_offset_hour(0)
                .utc_offset_minute(0),
        );
    }
    document.set_metadata(metadata);
    let page_settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| DocumentError::Pdf("invalid page size".to_owned()))?;
    for ops in pages {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        draw_page(&mut surface, fonts, ops);
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| DocumentError::Pdf(format!("{error:?}")))
}
