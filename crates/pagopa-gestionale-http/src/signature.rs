//! Standard Webhooks signatures (<https://www.standardwebhooks.com>, version 1): every
//! notification carries `webhook-id` (our idempotency key), `webhook-timestamp` (Unix seconds)
//! and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
//! base64-decoded part of the gestionale's `whsec_…` secret. A gestionale verifies them with any
//! Standard Webhooks library (`docs/adapters.md` shows it by hand in Python).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the message id.
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";
/// The header carrying the signing time, in Unix seconds.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header carrying the signature(s).
pub const WEBHOOK_SIGNATURE_HEADER: &str = "webhook-signature";

/// Why a webhook secret is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// It does not start with `whsec_`.
    #[error("must start with whsec_ (the Standard Webhooks format)")]
    Prefix,
    /// The part after `whsec_` is not base64.
    #[error("the part after whsec_ is not base64")]
    Base64,
    /// The decoded key is shorter than 24 bytes or longer than 64.
    #[error("the decoded key has {0} bytes; it must have 24 to 64")]
    Length(usize),
}

/// A signing key (the decoded `whsec_` secret). `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookSigner {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSigner(<redacted>)")
    }
}

impl WebhookSigner {
    /// The signer of `secret` (`whsec_` + base64 of 24 to 64 bytes; surrounding white space is
    /// ignored).
    pub fn from_secret(secret: &str) -> Result<Self, SecretError> {
        let encoded = secret.trim().strip_prefix("whsec_").ok_or(SecretError::Prefix)?;
        let key = STANDARD.decode(encoded).map_err(|_| SecretError::Base64)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Length(key.len()));
        }
        Ok(Self { key })
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for a message: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Whether a `webhook-signature` header (space-separated `v1,<base64>` entries) holds a
    /// valid signature of the message; compared in constant time. What a gestionale (or our
    /// fake one) does on receipt, besides refusing timestamps too far from its clock.
    pub fn verify(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        header.split_whitespace().any(|entry| {
            let Some(encoded) = entry.strip_prefix("v1,") else {
                return false;
            };
            let Ok(tag) = STANDARD.decode(encoded) else {
                return false;
            };
            self.mac(id, timestamp, body).verify_slice(&tag).is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// The example of the Standard Webhooks specification: a receiver's library accepts what we
    /// send only if we reproduce it byte for byte.
    #[test]
    fn the_specification_test_vector() {
        let signer = WebhookSigner::from_secret(SECRET).unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(signer.verify("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body, &signature));
        let rotated = format!("v1,bm9wZQ== {signature}");
        assert!(signer.verify("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body, &rotated));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let signer = WebhookSigner::from_secret(SECRET).unwrap();
        let good = signer.sign("id-1", 1_700_000_000, b"{}");
        assert!(!signer.verify("id-2", 1_700_000_000, b"{}", &good));
        assert!(!signer.verify("id-1", 1_700_000_001, b"{}", &good));
        assert!(!signer.verify("id-1", 1_700_000_000, b"{ }", &good));
        assert!(!signer.verify("id-1", 1_700_000_000, b"{}", &good.replace("v1,", "v2,")));
        let other = WebhookSigner::from_secret("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(!other.verify("id-1", 1_700_000_000, b"{}", &good));
    }

    #[test]
    fn secrets_are_checked_and_never_shown() {
        assert_eq!(
            WebhookSigner::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            SecretError::Prefix
        );
        assert_eq!(
            WebhookSigner::from_secret("whsec_not base64!").unwrap_err(),
            SecretError::Base64
        );
        assert_eq!(
            WebhookSigner::from_secret("whsec_c2hvcnQ=").unwrap_err(),
            SecretError::Length(5)
        );
        let signer = WebhookSigner::from_secret(&format!(" {SECRET}\n")).unwrap();
        assert!(!format!("{signer:?}").contains("MfKQ"));
    }
}
