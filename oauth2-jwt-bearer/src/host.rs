//! The `Host` of a request as the axum glue accepts it: a bare authority (RFC 9110 §7.2,
//! RFC 3986 §3.2.2-3.2.3), never anything that could carry a path into the URL compared with
//! a DPoP proof's `htu`.
//!
//! Accepted: `reg-name`, IPv4 (a `reg-name` spelling) or a bracketed IPv6 address, then an
//! optional `:port` of at most five digits (≤ 65535; an empty port, `host:`, is allowed by
//! RFC 3986 and means no port). Refused: an empty host, userinfo, a path, query or fragment,
//! whitespace, an IPv6 zone or `IPvFuture`, and, stricter than RFC 3986, percent-escapes and
//! sub-delims in a `reg-name`: they never appear in a DNS name, and an escape is one decoder
//! away from a `/`.

/// Why a `Host` value (or an `ALLOWED_HOSTS` entry) is not a bare `host[:port]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// Nothing, or nothing before `:`.
    #[error("the host is empty")]
    Empty,
    /// Longer than [`Authority::MAX_LEN`].
    #[error("longer than {} bytes", Authority::MAX_LEN)]
    TooLong,
    /// A character that no host name has (`/`, `?`, `#`, `@`, `%`, whitespace...), or a
    /// bracketed part that is not an IPv6 address.
    #[error(
        "expected host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address), without scheme, user, path, query or fragment"
    )]
    InvalidHost,
    /// The port is not 0..=65535 in decimal digits.
    #[error("the port must be a number from 0 to 65535")]
    InvalidPort,
}

/// A validated `host[:port]`, host lower-cased (host names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    host: String,
    port: Option<u16>,
}

impl Authority {
    /// Longest `Host` accepted (bytes): a DNS name is at most 253, an IPv6 literal at most 47,
    /// plus `:` and five port digits.
    pub const MAX_LEN: usize = 261;

    /// Parse a bare authority (see the module docs for the grammar).
    pub fn parse(raw: &str) -> Result<Self, AuthorityError> {
        let (host, port) = split_authority(raw)?;
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The host, lower case; an IPv6 address keeps its brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether a validated `(host, port)` names this authority: host case-insensitively,
    /// port exactly (`api.example.com` does not match `api.example.com:8443`, which may be
    /// another service whose proofs must not be accepted here). Used by the axum glue's
    /// `allowed_hosts` check.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn matches(&self, host: &str, port: Option<u16>) -> bool {
        self.host.eq_ignore_ascii_case(host) && self.port == port
    }
}

impl std::fmt::Display for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// `host[:port]` split and checked without allocating (it runs on every authenticated
/// request).
pub(crate) fn split_authority(raw: &str) -> Result<(&str, Option<u16>), AuthorityError> {
    if raw.is_empty() {
        return Err(AuthorityError::Empty);
    }
    if raw.len() > Authority::MAX_LEN {
        return Err(AuthorityError::TooLong);
    }
    let (host, rest) = if raw.starts_with('[') {
        let end = raw.find(']').ok_or(AuthorityError::InvalidHost)?;
        let inner = &raw[1..end];
        // std's parser takes plain IPv6 only: no zone (`%25eth0`), no IPvFuture.
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(AuthorityError::InvalidHost);
        }
        raw.split_at(end + 1)
    } else {
        let end = raw.find(':').unwrap_or(raw.len());
        let (host, rest) = raw.split_at(end);
        if host.is_empty() {
            return Err(AuthorityError::Empty);
        }
        if !host.bytes().all(is_host_char) {
            return Err(AuthorityError::InvalidHost);
        }
        (host, rest)
    };
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => None,
        None => return Err(AuthorityError::InvalidHost),
        Some("") => None,
        Some(digits) => Some(parse_port(digits)?),
    };
    Ok((host, port))
}

/// RFC 3986 `unreserved`: what a DNS name or an IPv4 address is made of.
fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn parse_port(digits: &str) -> Result<u16, AuthorityError> {
    // `u16::from_str` alone would accept a leading `+`.
    if digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthorityError::InvalidPort);
    }
    digits.parse().map_err(|_| AuthorityError::InvalidPort)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepted_authorities() {
        let ok = |raw: &str, host: &str, port: Option<u16>| {
            assert_eq!(split_authority(raw), Ok((host, port)), "{raw}");
        };
        ok("api.example.com", "api.example.com", None);
        ok("API.Example.COM:8443", "API.Example.COM", Some(8443));
        ok("127.0.0.1:5000", "127.0.0.1", Some(5000));
        ok("localhost:", "localhost", None);
        ok("a_b~c-d.", "a_b~c-d.", None);
        ok("[::1]", "[::1]", None);
        ok("[2001:db8::1]:443", "[2001:db8::1]", Some(443));
        ok("[::ffff:192.0.2.1]:0", "[::ffff:192.0.2.1]", Some(0));
        ok("h:65535", "h", Some(65535));
        ok("h:00080", "h", Some(80));
        let a = Authority::parse("API.Example.com:8443").unwrap();
        assert_eq!(a.to_string(), "api.example.com:8443");
        assert!(a.matches("api.EXAMPLE.com", Some(8443)));
        assert!(!a.matches("api.example.com", None));
        assert!(!a.matches("api.example.com", Some(443)));
    }

    #[test]
    fn refused_authorities() {
        use AuthorityError::*;
        let bad = |raw: &str, e: AuthorityError| {
            assert_eq!(split_authority(raw), Err(e), "{raw:?}");
        };
        bad("", Empty);
        bad(":80", Empty);
        // The attack of issue 8: a path (and a fragment) in Host.
        bad("api.example.com/api/other#", InvalidHost);
        bad("api.example.com/", InvalidHost);
        bad("api.example.com?x", InvalidHost);
        bad("api.example.com#f", InvalidHost);
        bad("user@api.example.com", InvalidHost);
        bad("api.example.com:80/x", InvalidPort);
        bad("api example.com", InvalidHost);
        bad(" api.example.com", InvalidHost);
        bad("api.example.com\t", InvalidHost);
        bad("api%2Fexample.com", InvalidHost);
        bad("a!b", InvalidHost);
        bad("http://api.example.com", InvalidPort);
        bad("h:65536", InvalidPort);
        bad("h:+80", InvalidPort);
        bad("h:123456", InvalidPort);
        bad("h:8a", InvalidPort);
        bad("h:80:80", InvalidPort);
        bad("::1", Empty);
        bad("[::1", InvalidHost);
        bad("[::1]x", InvalidHost);
        bad("[::1]/x", InvalidHost);
        bad("[fe80::1%25eth0]", InvalidHost);
        bad("[v1.x]", InvalidHost);
        bad("[127.0.0.1]", InvalidHost);
        bad("hé.example", InvalidHost);
        bad(&"a".repeat(Authority::MAX_LEN + 1), TooLong);
    }

    proptest! {
        /// Whatever a client sends, an accepted value is exactly a host plus an optional
        /// port: nothing that could end the authority of a URL built from it.
        #[test]
        fn accepted_values_carry_no_delimiter(raw in "\\PC{0,40}") {
            if split_authority(&raw).is_ok() {
                prop_assert!(!raw.contains(['/', '?', '#', '@', '%', ' ', '\\']));
                // A URL parser may still refuse it (`a.1` looks like a bad IPv4 address):
                // then the `htu` comparison fails closed.
                if let Ok(url) = url::Url::parse(&format!("http://{raw}/p")) {
                    prop_assert_eq!(url.path(), "/p");
                    prop_assert_eq!(url.query(), None);
                    prop_assert_eq!(url.username(), "");
                }
            }
        }

        /// Every `host[:port]` made of host characters is accepted and split back.
        #[test]
        fn generated_authorities_round_trip(
            host in "[a-zA-Z0-9][a-zA-Z0-9._~-]{0,30}",
            port in proptest::option::of(any::<u16>()),
        ) {
            let raw = match port {
                Some(p) => format!("{host}:{p}"),
                None => host.clone(),
            };
            prop_assert_eq!(split_authority(&raw), Ok((host.as_str(), port)));
        }

        /// Appending any delimiter-led suffix to a valid authority makes it invalid.
        #[test]
        fn suffixes_are_refused(
            host in "[a-z0-9.-]{1,20}",
            sep in prop::sample::select(vec!["/", "?", "#", "@", " ", "\t", "%2F", "\\"]),
            tail in "[a-z/]{0,10}",
        ) {
            let raw = format!("{host}{sep}{tail}");
            prop_assert!(split_authority(&raw).is_err(), "{}", raw);
        }
    }
}
