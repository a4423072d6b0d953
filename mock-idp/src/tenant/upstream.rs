//! Where discovery and JWKS are delegated (`PUT /control/upstream`), and the client that
//! reaches it. The control API validates and sets it; the discovery and JWKS endpoints forward
//! to it.

/// Where discovery and JWKS are delegated, and the client that reaches it.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    /// `scheme://host:port`, without path or query.
    pub(crate) origin: url::Url,
    pub(crate) client: reqwest::Client,
}

impl Upstream {
    /// `https://host:port` as set.
    pub(crate) fn origin(&self) -> String {
        self.origin.as_str().trim_end_matches('/').to_owned()
    }
}
