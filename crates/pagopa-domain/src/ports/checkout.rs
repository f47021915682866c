//! pagoPA Checkout (modello 1).

use async_trait::async_trait;

use super::BoxError;
use crate::model::{CartId, Email, ReturnUrls};
use crate::value::{AmountCents, EnteId, NoticeNumber, Text};

/// A notice in a Checkout cart request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutNotice {
    /// The notice.
    pub notice_number: NoticeNumber,
    /// The creditor Ente.
    pub ente: EnteId,
    /// The amount.
    pub amount: AmountCents,
    /// The Ente's name.
    pub company_name: Text<140>,
    /// What is paid.
    pub description: Text<140>,
}

/// What we ask Checkout to start (`POST /carts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutCart {
    /// Our cart id (`idCart`).
    pub cart_id: CartId,
    /// 1..5 notices.
    pub notices: Vec<CheckoutNotice>,
    /// Where the browser returns.
    pub return_urls: ReturnUrls,
    /// Receipt e-mail.
    pub email: Option<Email>,
    /// Whether every transfer can go to a postal account.
    pub all_ccp: bool,
}

/// Where Checkout wants the browser to go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutRedirect {
    /// The Checkout page URL (the `Location` of its 302).
    pub url: String,
}

/// Why Checkout did not start the cart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// Checkout refused the cart (4xx): the notices are not payable, or the request is wrong.
    #[error("Checkout refused the cart (HTTP {status}): {detail}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Checkout's explanation.
        detail: String,
    },
    /// Checkout failed or did not answer (5xx, network, timeout). The call is not repeated
    /// blindly: starting a cart is not idempotent.
    #[error("Checkout is unavailable")]
    Unavailable(#[source] BoxError),
}

/// pagoPA Checkout's carts API.
///
/// Error contract: [`CheckoutError::Rejected`] for a refusal Checkout stated,
/// [`CheckoutError::Unavailable`] for anything else; the adapter applies its own timeout and
/// never retries on its own.
#[async_trait]
pub trait PagoPaCheckout: Send + Sync {
    /// Starts a cart and returns the Checkout URL to send the browser to.
    async fn start_cart(&self, cart: &CheckoutCart) -> Result<CheckoutRedirect, CheckoutError>;
}
