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
    },
}

/// The PDF of `pages`.
pub(crate) fn write_pdf(fonts: &Fonts, pages: &[Vec<Op>], kind: DocumentKind<'_>) -> Result<Vec<u8>, DocumentError> {
    let (title, configuration) = match kind {
        DocumentKind::Notice { title } => (title, ConfigurationBuilder::new()),
        DocumentKind::Receipt { title } => (
            title,
            ConfigurationBuilder::new().with_archival_validator(Archival::A2_B),
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
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("it".to_owned())
            .creator("pagopa-documents".to_owned())
            .producer("pagopa-documents (krilla)".to_owned()),
    );
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
