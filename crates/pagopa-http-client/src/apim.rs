//! [`SubscriptionKey`]: the credential pagoPA's API Management asks of every call to its
//! products (Checkout, FdR, the receipts service, the nodeForPa gateway), in the
//! [`SUBSCRIPTION_KEY_HEADER`].

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};

use crate::client::OutboundRequest;
use crate::secret::{REDACTED, Secret, SecretError};

/// The header pagoPA's API Management reads the subscription key from
/// (`Ocp-Apim-Subscription-Key`; header names are case-insensitive).
pub const SUBSCRIPTION_KEY_HEADER: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");

/// A subscription key, checked once at start (not blank, sendable in a header) and sent
/// marked sensitive. `Debug` shows [`REDACTED`], so a client holding one can derive `Debug`.
///
/// ```
/// use pagopa_http_client::{Secret, SubscriptionKey};
///
/// let key = SubscriptionKey::new(&Secret::from(" k3y ")).unwrap();
/// assert_eq!(format!("{key:?}"), "SubscriptionKey(<redacted>)");
/// assert!(SubscriptionKey::new(&Secret::from(" ")).is_err());
/// ```
#[derive(Clone)]
pub struct SubscriptionKey(HeaderValue);

impl SubscriptionKey {
    /// The key of `secret`, trimmed.
    pub fn new(secret: &Secret) -> Result<Self, SecretError> {
        secret.header_value().map(Self)
    }
}

impl fmt::Debug for SubscriptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubscriptionKey({REDACTED})")
    }
}

impl OutboundRequest {
    /// Adds the [`SUBSCRIPTION_KEY_HEADER`] with `key`, marked sensitive.
    pub fn subscription_key(self, key: &SubscriptionKey) -> Self {
        self.secret_header(SUBSCRIPTION_KEY_HEADER, &key.0)
    }
}
