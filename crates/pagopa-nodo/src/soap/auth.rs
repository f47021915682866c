//! Node authentication (DESIGN §6): besides the station ids every request carries (checked by
//! the domain), an optional shared secret in a header and an optional allow-list of client
//! addresses. TLS is terminated in front of the service.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use sha2::{Digest, Sha256};

/// Node authentication (DESIGN §6): besides the station ids every request carries, an optional
/// shared secret in a header and an optional allow-list of client addresses. TLS is terminated in
/// front of the service.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeAuth {
    /// The header that carries the secret (default `X-Node-Secret` when a secret is set).
    pub header: Option<String>,
    /// The shared secret. Compared through SHA-256 digests, never logged.
    pub secret: Option<String>,
    /// Allowed client addresses: single addresses or CIDR blocks (`10.1.0.0/16`, `::1`).
    /// Empty: any address. Behind a reverse proxy the client address is the one the trusted
    /// proxy forwarded (`server.trusted_proxies`).
    pub allowed_ips: Vec<String>,
    /// Accept callers with neither a secret nor an allowed address. The server refuses to start
    /// without a secret or an allow-list unless this is set (or in demo mode), and warns.
    pub allow_anonymous: bool,
}

impl std::fmt::Debug for NodeAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeAuth")
            .field("header", &self.header)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("allowed_ips", &self.allowed_ips)
            .field("allow_anonymous", &self.allow_anonymous)
            .finish()
    }
}

impl NodeAuth {
    /// Checks the allow-list entries, the header name and the secret, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        NodeGate::new(self).map(|_| ())
    }

    /// Whether callers are authenticated by a secret or an allow-list, or anonymous callers
    /// were explicitly allowed.
    pub fn is_configured(&self) -> bool {
        self.secret.is_some() || !self.allowed_ips.is_empty() || self.allow_anonymous
    }

    /// Whether anyone who knows the station ids may call: no secret and no allow-list.
    pub fn is_anonymous(&self) -> bool {
        self.secret.is_none() && self.allowed_ips.is_empty()
    }
}

/// The checks [`NodeAuth`] asks for, prepared once: the parsed address blocks and the secret's
/// digest.
#[derive(Debug)]
pub(crate) struct NodeGate {
    blocks: Vec<AddressBlock>,
    header: String,
    secret_digest: Option<[u8; 32]>,
}

impl NodeGate {
    pub(crate) fn new(auth: &NodeAuth) -> Result<Self, String> {
        let blocks = auth
            .allowed_ips
            .iter()
            .map(|raw| AddressBlock::parse(raw))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(header) = &auth.header
            && actix_web::http::header::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            return Err(format!("header {header:?} is not a valid HTTP header name"));
        }
        let secret_digest = match auth.secret.as_deref() {
            Some("") => return Err("the Node secret must not be empty".into()),
            Some(secret) => Some(Sha256::digest(secret.as_bytes()).into()),
            None => None,
        };
        Ok(Self {
            blocks,
            header: auth.header.clone().unwrap_or_else(|| "X-Node-Secret".into()),
            secret_digest,
        })
    }

    /// Whether `request` may call the endpoint; else the status and why.
    pub(crate) fn check(&self, request: &HttpRequest) -> Result<(), (StatusCode, &'static str)> {
        if !self.blocks.is_empty() {
            let allowed = request
                .peer_addr()
                .is_some_and(|peer| self.blocks.iter().any(|b| b.contains(peer.ip())));
            if !allowed {
                return Err((StatusCode::FORBIDDEN, "the client address is not allowed"));
            }
        }
        if let Some(expected) = &self.secret_digest {
            let given = request
                .headers()
                .get(self.header.as_str())
                .map(|v| Sha256::digest(v.as_bytes()))
                .ok_or((StatusCode::UNAUTHORIZED, "the Node secret is missing"))?;
            // Digests of equal length: the comparison time does not depend on the secret.
            let differs = given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if differs != 0 {
                return Err((StatusCode::UNAUTHORIZED, "the Node secret is wrong"));
            }
        }
        Ok(())
    }
}

/// An address block: one address or a CIDR block (`10.1.0.0/16`, `::1`). The Node allow-list
/// is made of these, and so is the server's list of trusted proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressBlock {
    network: IpAddr,
    prefix: u8,
}

impl AddressBlock {
    /// The block `raw` names, or why it names none.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR block"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix length must be 0..={max}"))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    /// Whether `address` is in the block (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_blocks() {
        let block = AddressBlock::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        assert!(block.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one = AddressBlock::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(AddressBlock::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(
            AddressBlock::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(AddressBlock::parse("10.0.0.0/33").is_err());
        assert!(AddressBlock::parse("example.org").is_err());
    }
}
