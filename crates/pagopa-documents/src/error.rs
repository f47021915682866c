//! Why a document cannot be rendered.

use pagopa_domain::NoticeNumber;

/// Why a notice or a receipt cannot be rendered. The first variants are the positions and options
/// a notice must never be printed for (the API answers each with a 409 problem of its own code);
/// the last ones are failures of the renderer itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The position is a draft: to pagoPA it does not exist yet.
    #[error("the position is a draft: it has no payable notice yet")]
    Draft,
    /// The position was cancelled by the Ente.
    #[error("the position was cancelled")]
    Cancelled,
    /// The whole position is paid.
    #[error("the position is already paid")]
    Paid,
    /// The position expired and can no longer be paid.
    #[error("the position has expired and can no longer be paid")]
    Expired,
    /// The option asked for is already paid.
    #[error("notice {0} is already paid")]
    OptionAlreadyPaid(NoticeNumber),
    /// The option asked for is the single solution of a plan whose instalments have started.
    #[error("instalments of this position are already paid: notice {0} can no longer be paid")]
    InstalmentsStarted(NoticeNumber),
    /// The option is made of digital stamps only, which are sold online (modello 1), not
    /// through a printed notice.
    #[error("notice {0} only sells digital stamps, which cannot be paid from a printed notice")]
    StampOnlyOption(NoticeNumber),
    /// The instalments of a plan printed whole do not add up to its single solution: a notice
    /// offering both would state two different debts.
    #[error("the instalments add up to {instalments} cents, the single solution is {single} cents")]
    InstalmentsDoNotAddUp {
        /// The single solution, in cents.
        single: u64,
        /// The sum of the instalments, in cents.
        instalments: u64,
    },
    /// No option of the position has this notice number.
    #[error("notice {0} is not an option of this position")]
    UnknownNotice(NoticeNumber),
    /// Every option of the position is paid or unprintable.
    #[error("no option of the position can be printed")]
    NothingToPrint,
    /// The Ente's logo could not be decoded.
    #[error("the Ente logo cannot be used: {0}")]
    Logo(String),
    /// A barcode could not be encoded (a payload longer than its symbol holds).
    #[error("the {symbol} cannot be encoded: {reason}")]
    Barcode {
        /// QR code or Data Matrix.
        symbol: &'static str,
        /// What the encoder said.
        reason: String,
    },
    /// A bundled font could not be read.
    #[error("the bundled font {0} cannot be read")]
    Font(&'static str),
    /// The PDF writer failed.
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
}

impl DocumentError {
    /// A stable code for the error, as the API's problem documents carry it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Draft => "notice_position_draft",
            Self::Cancelled => "notice_position_cancelled",
            Self::Paid => "notice_position_paid",
            Self::Expired => "notice_position_expired",
            Self::OptionAlreadyPaid(_) => "notice_option_paid",
            Self::InstalmentsStarted(_) => "notice_instalments_started",
            Self::StampOnlyOption(_) => "notice_stamp_only",
            Self::InstalmentsDoNotAddUp { .. } => "notice_instalments_do_not_add_up",
            Self::UnknownNotice(_) => "notice_unknown",
            Self::NothingToPrint => "notice_nothing_to_print",
            Self::Logo(_) => "document_logo",
            Self::Barcode { .. } => "document_barcode",
            Self::Font(_) => "document_font",
            Self::Pdf(_) => "document_pdf",
        }
    }

    /// Whether the error says the position or option may not be printed (a conflict with its
    /// state), rather than a failure of the renderer.
    pub fn is_unprintable(&self) -> bool {
        matches!(
            self,
            Self::Draft
                | Self::Cancelled
                | Self::Paid
                | Self::Expired
                | Self::OptionAlreadyPaid(_)
                | Self::InstalmentsStarted(_)
                | Self::StampOnlyOption(_)
                | Self::InstalmentsDoNotAddUp { .. }
                | Self::UnknownNotice(_)
                | Self::NothingToPrint
        )
    }
}
