//! Stand-ins for adapters this installation has not configured, and random ids.

use async_trait::async_trait;
use pagopa_domain::CartId;
use pagopa_domain::ports::{CheckoutCart, CheckoutError, CheckoutRedirect, IdGenerator, PagoPaCheckout};

/// A Checkout that is not configured: every call fails as unavailable, so callers get a clear
/// 502 instead of a silent success. (An Ente without a gestionale is handled by
/// `GestionaleRoutes`.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unconfigured;

fn not_configured(what: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("no {what} adapter is configured").into()
}

#[async_trait]
impl PagoPaCheckout for Unconfigured {
    async fn start_cart(&self, _: &CheckoutCart) -> Result<CheckoutRedirect, CheckoutError> {
        Err(CheckoutError::Unavailable(not_configured("Checkout")))
    }
}

/// Cart ids from 16 random bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RandomIds;

/// 16 random bytes. The OS random source does not fail on supported platforms; if it ever did,
/// a time-based value still never repeats within this process.
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = nanos.to_be_bytes();
    }
    bytes
}

impl IdGenerator for RandomIds {
    fn cart_id(&self) -> CartId {
        hex::encode(random_bytes())
            .parse()
            .unwrap_or_else(|_| unreachable!("32 hex digits are a valid cart id"))
    }

    fn import_id(&self) -> pagopa_domain::ImportId {
        pagopa_domain::ImportId::from_random(random_bytes())
    }
}
