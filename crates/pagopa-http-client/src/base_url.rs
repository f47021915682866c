//! [`BaseUrl`]: the configured root of a remote API, checked once at start, and the endpoints
//! built from it.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

/// What a [`BaseUrl`] with the `http` scheme on a host other than the local machine gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleartext {
    /// Refused: credentials and personal data must not travel in clear. The default for a new
    /// client of a public service (pagoPA's APIs are https only).
    Refuse,
    /// Accepted with a warning in the log, for services an installation may reach over a
    /// private network (a gestionale, a simulator in a container).
    Warn,
}

/// Why a configured base URL is not usable. Displays as `"<url>" is not usable: <reason>`, to
/// follow "the NAME base URL".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not usable: {reason}")]
pub struct BaseUrlError {
    /// The URL as configured.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The root of a remote API: an absolute `http(s)` URL with a host, no query or fragment, no
/// trailing `/` (one given is dropped), so that [`endpoint`](Self::endpoint) never doubles a
/// slash.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks `raw` (surrounding white space and trailing slashes ignored). With
    /// [`Cleartext::Warn`], an `http` URL outside the local machine is logged as a warning
    /// naming `service`; with [`Cleartext::Refuse`] it is an error.
    pub fn parse(raw: &str, service: &str, cleartext: Cleartext) -> Result<Self, BaseUrlError> {
        let invalid = |reason: &str| BaseUrlError {
            url: raw.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(raw.trim().trim_end_matches('/')).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(invalid("the scheme must be https (or http)"));
        }
        if !url.has_host() || url.cannot_be_a_base() {
            return Err(invalid("it has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it may not have a query or a fragment"));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            match cleartext {
                Cleartext::Refuse => {
                    return Err(invalid("it must be https outside the local machine"));
                }
                Cleartext::Warn => {
                    tracing::warn!(service, url = %url, "the URL is not https: credentials and data travel in clear");
                }
            }
        }
        Ok(Self(url))
    }

    /// The URL itself.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// `{base}/{segment}/{segment}…`, each segment percent-encoded, never interpreted (a `/` or
    /// `?` in one stays inside it).
    pub fn endpoint<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Url {
        let mut url = self.0.clone();
        // `parse` refused URLs that cannot be a base, the only case where this fails.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Whether the host is the local machine (`localhost`, `127.0.0.0/8`, `::1`).
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(raw: &str) -> Result<BaseUrl, BaseUrlError> {
        BaseUrl::parse(raw, "test", Cleartext::Warn)
    }

    #[test]
    fn normalised() {
        for raw in [
            "https://g.example.it/pagopa/v1",
            "https://g.example.it/pagopa/v1/",
            " https://g.example.it/pagopa/v1// ",
        ] {
            assert_eq!(parse(raw).unwrap().as_str(), "https://g.example.it/pagopa/v1", "{raw}");
        }
        assert_eq!(
            parse("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
    }

    #[test]
    fn refused() {
        for bad in [
            "",
            "g.example.it/api",
            "ftp://g.example.it/a",
            "https://g.it/a?k=1",
            "https://g.it/a#f",
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.url, bad);
            assert!(
                error.to_string().starts_with(&format!("{bad:?} is not usable: ")),
                "{error}"
            );
        }
    }

    #[test]
    fn cleartext_only_on_the_local_machine_unless_allowed() {
        for local in [
            "http://localhost:1",
            "http://LOCALHOST",
            "http://[::1]:1",
            "http://127.0.0.1",
            "http://127.9.9.9",
        ] {
            let url = BaseUrl::parse(local, "test", Cleartext::Refuse).unwrap();
            assert!(url.is_loopback(), "{local}");
        }
        for remote in [
            "http://10.0.0.1",
            "http://gestionale.internal",
            "http://localhost.example.it",
        ] {
            let error = BaseUrl::parse(remote, "test", Cleartext::Refuse).unwrap_err();
            assert!(error.reason.contains("https"), "{remote}: {error}");
            let url = BaseUrl::parse(remote, "test", Cleartext::Warn).unwrap();
            assert!(!url.is_loopback(), "{remote}");
        }
        assert!(BaseUrl::parse("https://10.0.0.1", "test", Cleartext::Refuse).is_ok());
    }

    #[test]
    fn endpoints() {
        let base = parse("https://g.example.it/pagopa/v1/").unwrap();
        assert_eq!(
            base.endpoint(["entes", "80012345676", "pricing"]).as_str(),
            "https://g.example.it/pagopa/v1/entes/80012345676/pricing"
        );
        let root = parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(root.endpoint(["carts"]).as_str(), "http://127.0.0.1:9000/carts");
        assert_eq!(
            root.endpoint(["a/b?c", "d e"]).as_str(),
            "http://127.0.0.1:9000/a%2Fb%3Fc/d%20e"
        );
        assert_eq!(root.endpoint([]).as_str(), "http://127.0.0.1:9000/");
    }
}
