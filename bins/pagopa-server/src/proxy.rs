//! The client address behind a reverse proxy: `Forwarded` / `X-Forwarded-For` are believed only
//! when the TCP peer is one of `server.trusted_proxies`; then the client is the nearest address
//! in the chain that is not a trusted proxy. The resolved address replaces the peer address
//! of the request, so the Node allow-list and the logs see the client, never a spoofed header.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::{Error, web};
use pagopa_nodo::soap::AddressBlock;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<AddressBlock>>);

impl TrustedProxies {
    /// The proxies of `server.trusted_proxies` (already validated).
    pub fn new(blocks: &[String]) -> Result<Self, String> {
        let blocks = blocks
            .iter()
            .map(|b| AddressBlock::parse(b))
            .collect::<Result<_, _>>()?;
        Ok(Self(Arc::new(blocks)))
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(address))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        // From the nearest hop outwards: the first address that is not ours is the client. An
        // entry that is not an address ("unknown", an obfuscated name) ends the walk: nothing
        // beyond it can be believed, so the last trusted hop stands.
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(address) if self.trusts(*address) => client = *address,
                Some(address) => return *address,
                None => return client,
            }
        }
        client
    }
}

/// The addresses of `Forwarded` (RFC 7239) `for=` parameters if that header is present, else of
/// `X-Forwarded-For`, in order (client first). `None` for an entry that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers.get_all("forwarded").filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// An address from a `for=` value or an `X-Forwarded-For` entry: `192.0.2.1`, `192.0.2.1:80`,
/// `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let value = raw.trim().trim_matches('"');
    if let Ok(address) = value.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = value.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    value
        .strip_prefix('[')
        .and_then(|v| v.split_once(']'))
        .and_then(|(address, _)| address.parse().ok())
}

/// Middleware (`from_fn(client_address)`, outermost): replaces the peer address by the client
/// behind a trusted proxy. Needs `web::Data<TrustedProxies>`.
pub(crate) async fn client_address(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let (Some(proxies), Some(peer)) = (request.app_data::<web::Data<TrustedProxies>>(), request.peer_addr()) {
        let client = proxies.client(peer.ip(), request.headers());
        if client != peer.ip() {
            request.head_mut().peer_addr = Some(SocketAddr::new(client, 0));
        }
    }
    next.call(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxies = TrustedProxies::new(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let spoofed = headers(&[("x-forwarded-for", "93.184.216.34")]);
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &spoofed),
            ip("203.0.113.9"),
            "untrusted peer"
        );
        assert_eq!(proxies.client(ip("10.1.2.3"), &spoofed), ip("93.184.216.34"));
        // A client that sends its own X-Forwarded-For through our proxy cannot hide behind it.
        let chained = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &chained), ip("198.51.100.7"));
        let rfc = headers(&[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.5")]);
        assert_eq!(proxies.client(ip("::1"), &rfc), ip("2001:db8::1"));
        let hidden = headers(&[("forwarded", "for=_hidden, for=10.0.0.5")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &hidden), ip("10.0.0.5"));
        assert_eq!(proxies.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }
}
