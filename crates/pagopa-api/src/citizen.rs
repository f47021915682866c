//! The citizen's identity: a short-lived JWT signed by the Front-End (which did SPID/CIE) with
//! Ed25519 (`alg` `EdDSA`), whose `sub` is the citizen's fiscal code. Verified tokens are cached
//! until they expire, so the read path pays for a signature check once per token.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::Mutex;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use pagopa_domain::FiscalCode;
use sha2::{Digest, Sha256};

use crate::auth::{Principal, Role, authenticate};
use crate::problem::ApiError;

/// How citizen tokens are checked.
#[derive(Debug)]
pub struct CitizenTokens {
    key: VerifyingKey,
    issuer: Option<String>,
    audience: Option<String>,
    max_lifetime_secs: i64,
    leeway_secs: i64,
    cache: Mutex<HashMap<[u8; 32], (FiscalCode, i64)>>,
}

/// Why a token was refused (logged, never sent: the client gets a plain 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// `alg` is not `EdDSA`.
    Algorithm,
    /// The signature does not verify.
    Signature,
    /// Expired, not yet valid, or valid for longer than allowed.
    Time,
    /// Wrong `iss` or `aud`.
    Audience,
    /// `sub` is not a fiscal code.
    Subject,
}

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
}

/// The most tokens kept verified at once.
const CACHE_LIMIT: usize = 100_000;

impl CitizenTokens {
    /// Tokens signed by the Ed25519 key whose 32-byte public key is `public_key` (base64url or
    /// standard base64), optionally bound to an issuer and an audience, living at most
    /// `max_lifetime_secs` from now.
    pub fn new(
        public_key: &str,
        issuer: Option<String>,
        audience: Option<String>,
        max_lifetime_secs: i64,
    ) -> Result<Self, String> {
        let raw = URL_SAFE_NO_PAD
            .decode(public_key.trim().trim_end_matches('='))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(public_key.trim()))
            .map_err(|_| "the citizen token public key is not base64".to_owned())?;
        let bytes: [u8; 32] = raw
            .try_into()
            .map_err(|_| "an Ed25519 public key has 32 bytes".to_owned())?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| "not an Ed25519 public key".to_owned())?;
        Ok(Self {
            key,
            issuer,
            audience,
            max_lifetime_secs,
            leeway_secs: 30,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The citizen a token names, if it is valid at `now` (seconds since the epoch).
    pub fn verify(&self, token: &str, now: i64) -> Result<FiscalCode, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some((code, exp)) = self.cache().get(&digest)
            && now < exp + self.leeway_secs
        {
            return Ok(code.clone());
        }
        let (code, exp) = self.verify_uncached(token, now)?;
        let mut cache = self.cache();
        if cache.len() >= CACHE_LIMIT {
            cache.retain(|_, (_, exp)| now < *exp);
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
        }
        cache.insert(digest, (code.clone(), exp));
        Ok(code)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (FiscalCode, i64)>> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn verify_uncached(&self, token: &str, now: i64) -> Result<(FiscalCode, i64), TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed);
        let header: Header = serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
        if header.alg != "EdDSA" {
            return Err(TokenError::Algorithm);
        }
        let signature: [u8; 64] = decode(signature)?.try_into().map_err(|_| TokenError::Malformed)?;
        let signed = &token[..token.len() - parts_len(token)];
        self.key
            .verify_strict(signed.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| TokenError::Signature)?;
        let claims: Claims = serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
        let lifetime_ok = claims.exp - now <= self.max_lifetime_secs;
        let started = claims.nbf.is_none_or(|nbf| nbf <= now + self.leeway_secs);
        if now >= claims.exp + self.leeway_secs || !started || !lifetime_ok {
            return Err(TokenError::Time);
        }
        if self.issuer.as_ref().is_some_and(|iss| claims.iss.as_ref() != Some(iss)) {
            return Err(TokenError::Audience);
        }
        if let Some(audience) = &self.audience {
            let matches = match &claims.aud {
                Some(serde_json::Value::String(aud)) => aud == audience,
                Some(serde_json::Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
                _ => false,
            };
            if !matches {
                return Err(TokenError::Audience);
            }
        }
        let code = claims.sub.parse().map_err(|_| TokenError::Subject)?;
        Ok((code, claims.exp))
    }
}

/// The length of the signature part with its dot.
fn parts_len(token: &str) -> usize {
    token.rsplit_once('.').map_or(0, |(_, signature)| signature.len() + 1)
}

/// The citizen calling through the Front-End: a Front-End API key and a valid
/// `Authorization: Bearer <token>`.
#[derive(Clone, Debug)]
pub struct Citizen {
    /// The Front-End key's principal (its Enti limit what the citizen sees through it).
    pub principal: Principal,
    /// The citizen's fiscal code, from the token.
    pub fiscal_code: FiscalCode,
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
}

fn citizen_of(request: &HttpRequest, token: &str) -> Result<FiscalCode, ApiError> {
    let tokens = request.app_data::<web::Data<CitizenTokens>>().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "citizen_tokens_not_configured",
            "citizen tokens are not configured",
        )
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    tokens.verify(token, now).map_err(|error| {
        tracing::info!(?error, "citizen token refused");
        unauthenticated("the citizen token is not valid")
    })
}

fn bearer(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

impl FromRequest for Citizen {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let principal = authenticate(request, &[Role::FrontEnd])?;
            let token = bearer(request)
                .ok_or_else(|| unauthenticated("a citizen token (Authorization: Bearer …) is required"))?;
            let fiscal_code = citizen_of(request, token)?;
            Ok(Citizen { principal, fiscal_code })
        })())
    }
}

/// A Front-End call that may carry a citizen token: no citizen when it carries none, the
/// citizen when it carries a valid one, 401 when it carries an invalid one.
#[derive(Clone, Debug)]
pub struct MaybeCitizen {
    /// The Front-End key's principal.
    pub principal: Principal,
    /// The citizen of the token, if one was sent.
    pub citizen: Option<FiscalCode>,
}

impl FromRequest for MaybeCitizen {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let principal = authenticate(request, &[Role::FrontEnd])?;
            let citizen = bearer(request).map(|token| citizen_of(request, token)).transpose()?;
            Ok(MaybeCitizen { principal, citizen })
        })())
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    fn token(key: &SigningKey, header: &str, claims: serde_json::Value) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    #[test]
    fn tokens_are_checked_for_every_way_they_can_be_wrong() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let public = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let tokens = CitizenTokens::new(&public, Some("fe".into()), Some("backend".into()), 3600).unwrap();
        let now = 1_800_000_000;
        let header = r#"{"alg":"EdDSA","typ":"JWT"}"#;
        let claims = |sub: &str, exp: i64| serde_json::json!({ "sub": sub, "exp": exp, "iss": "fe", "aud": "backend" });
        let good = token(&key, header, claims("VRDGPP80A01B157X", now + 600));
        assert_eq!(tokens.verify(&good, now).unwrap().as_str(), "VRDGPP80A01B157X");
        assert_eq!(
            tokens.verify(&good, now).unwrap().as_str(),
            "VRDGPP80A01B157X",
            "cached"
        );
        assert_eq!(
            tokens.verify(&good, now + 700),
            Err(TokenError::Time),
            "expired, even when cached"
        );

        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert_eq!(
            tokens.verify(&token(&other, header, claims("VRDGPP80A01B157X", now + 600)), now),
            Err(TokenError::Signature)
        );
        assert_eq!(
            tokens.verify(
                &token(&key, r#"{"alg":"none"}"#, claims("VRDGPP80A01B157X", now + 600)),
                now
            ),
            Err(TokenError::Algorithm)
        );
        assert_eq!(
            tokens.verify(
                &token(&key, r#"{"alg":"HS256"}"#, claims("VRDGPP80A01B157X", now + 600)),
                now
            ),
            Err(TokenError::Algorithm)
        );
        assert_eq!(
            tokens.verify(&token(&key, header, claims("VRDGPP80A01B157X", now + 7200)), now),
            Err(TokenError::Time),
            "too long-lived"
        );
        assert_eq!(
            tokens.verify(&token(&key, header, claims("NOTACODE", now + 600)), now),
            Err(TokenError::Subject)
        );
        let foreign =
            serde_json::json!({ "sub": "VRDGPP80A01B157X", "exp": now + 600, "iss": "fe", "aud": "someone-else" });
        assert_eq!(
            tokens.verify(&token(&key, header, foreign), now),
            Err(TokenError::Audience)
        );
        assert_eq!(tokens.verify("a.b", now), Err(TokenError::Malformed));
        let mut tampered = good.clone();
        tampered.insert(good.find('.').unwrap() + 3, 'x');
        assert!(tokens.verify(&tampered, now).is_err());
    }
}
