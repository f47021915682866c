//! Payment notices (avvisi di pagamento pagoPA) and receipts as PDF, rendered in-house: pure
//! Rust, bundled fonts, QR code and Data Matrix drawn as vectors, no I/O.
//!
//! - [`render_notice`]: the notice of a debt position (header, Ente and debtor, amount and due
//!   date, where to pay, the single solution and the instalments with their QR codes, and the
//!   Bollettino Postale PA with its Data Matrix when the Ente prints postal slips). Positions
//!   and options that cannot be paid from a notice are refused with a [`DocumentError`].
//! - [`render_receipt`]: the Ente's copy of a pagoPA receipt, as PDF/A-2b.
//! - [`barcodes`]: the payloads of the two symbols.
//!
//! Fonts: Titillium Web and Roboto Mono, under the SIL Open Font License 1.1; their licence
//! texts are in the crate's `fonts/` folder.

pub mod barcodes;
mod error;
mod format;
mod layout;
mod notice;
mod pdf;
mod receipt;
mod text;

pub use error::DocumentError;
pub use notice::{NoticeInput, OptionSelection, check_logo, printable_options, render_notice};
pub use receipt::render_receipt;

/// The bundled fonts' licence texts (Titillium Web, Roboto Mono), for an about page.
pub const FONT_LICENCES: &[(&str, &str)] = &[
    ("Titillium Web", include_str!("../fonts/TitilliumWeb-LICENSE.txt")),
    ("Roboto Mono", include_str!("../fonts/RobotoMono-LICENSE.txt")),
];
