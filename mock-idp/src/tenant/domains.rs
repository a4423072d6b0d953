//! Custom domains: one tenant answering on several host names, each with its own issuer,
//! discovery document and TLS name, and one key set. As in Auth0, a token records the domain
//! it was requested on (the request's `Host`) in `iss`.
//!
//! A request whose `Host` is none of the tenant's domains is answered as the primary domain
//! (the first one): a client that reaches the tenant by another name (a proxy, a container
//! alias) keeps working, and its tokens carry the primary issuer.

/// The tenant's domains (`host:port`, lower case), the primary one first.
#[derive(Debug, Clone)]
pub(crate) struct Domains {
    scheme: &'static str,
    all: Vec<String>,
}

impl Domains {
    /// `primary` (`host:port`) plus each of `hosts` on the same `port`.
    pub(crate) fn new(scheme: &'static str, primary: String, hosts: &[String], port: u16) -> Self {
        let mut all = vec![primary.to_ascii_lowercase()];
        for h in hosts {
            let d = format!("{}:{port}", h.to_ascii_lowercase());
            if !all.contains(&d) {
                all.push(d);
            }
        }
        Domains { scheme, all }
    }

    /// Every domain, primary first.
    pub(crate) fn all(&self) -> &[String] {
        &self.all
    }

    /// The domain a request is for: its `Host` when that is one of ours, else the primary.
    pub(crate) fn for_host(&self, host: Option<&str>) -> &str {
        host.map(str::to_ascii_lowercase)
            .and_then(|h| self.all.iter().find(|d| **d == h))
            .unwrap_or(&self.all[0])
    }

    /// `scheme://domain` (no trailing slash).
    pub(crate) fn origin(&self, domain: &str) -> String {
        format!("{}://{domain}", self.scheme)
    }

    /// Every issuer (`scheme://domain/`), primary first.
    pub(crate) fn issuers(&self) -> Vec<String> {
        self.all
            .iter()
            .map(|d| format!("{}/", self.origin(d)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_selects_the_domain_and_strangers_get_the_primary() {
        let d = Domains::new(
            "https",
            "127.0.0.1:8443".into(),
            &["Localhost".into(), "127.0.0.1".into()],
            8443,
        );
        assert_eq!(d.all(), ["127.0.0.1:8443", "localhost:8443"]);
        assert_eq!(d.for_host(Some("LOCALHOST:8443")), "localhost:8443");
        assert_eq!(d.for_host(Some("evil.example:8443")), "127.0.0.1:8443");
        assert_eq!(d.for_host(Some("localhost:9999")), "127.0.0.1:8443");
        assert_eq!(d.for_host(None), "127.0.0.1:8443");
        assert_eq!(
            d.issuers(),
            ["https://127.0.0.1:8443/", "https://localhost:8443/"]
        );
    }
}
