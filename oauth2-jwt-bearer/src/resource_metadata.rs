//! RFC 9728 protected-resource metadata: the document that tells a client (an MCP client, for
//! one) which authorization servers issue tokens for this API, and the URL it is served at.
//!
//! Turned on with [`VerifierOptions::resource_metadata`](crate::VerifierOptions::resource_metadata).
//! The verifier then
//! - builds the document once, from its own options: `resource`, `authorization_servers`
//!   (`https://{domain}/` for each configured domain unless given), `scopes_supported` (when
//!   given), `bearer_methods_supported` = `["header"]` (the only way a token is read),
//!   `dpop_signing_alg_values_supported` (the proof algorithms, unless DPoP is disabled) and
//!   `dpop_bound_access_tokens_required` (true when DPoP is required);
//! - puts `resource_metadata="<url>"` (RFC 9728 §5.1) on every challenge of every 401 it
//!   answers. Not on 400, 403, 429 or 503: RFC 9728 defines the parameter for a client that
//!   lacks a usable token and requires it nowhere else, and the 403 `insufficient_scope`
//!   challenge already names what is missing (`scope="…"`);
//! - with the `axum` feature, [`router`] serves the document at its well-known URL.
//!
//! The URL (RFC 9728 §3.1): `/.well-known/oauth-protected-resource` inserted between the
//! resource's authority and its path, so `https://api.example.com` is described at
//! `https://api.example.com/.well-known/oauth-protected-resource` and `https://api.example.com/mcp`
//! at `https://api.example.com/.well-known/oauth-protected-resource/mcp`. A client checks that
//! the document's `resource` is the one it derived the URL from (§3.3), so the document is
//! only served at that one URL.
//!
//! The `resource` is the URL clients call; with Auth0 it is also what a client sends as
//! RFC 8707 `resource` (or `audience`) to get a token, so it should equal the verifier's
//! audience. The verifier does not force that (an API may have an identifier that is not its
//! URL); the quickstart API does.

use std::sync::Arc;

use crate::error::ConfigError;
use crate::scheme::{DpopMode, PROOF_ALGS};

/// The well-known path segment of RFC 9728 §3.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// What to publish: the resource identifier and the optional members. Consuming builder; given
/// to [`VerifierOptions::resource_metadata`](crate::VerifierOptions::resource_metadata).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until it is given to VerifierOptions::resource_metadata"]
pub struct ResourceMetadata {
    resource: String,
    authorization_servers: Option<Vec<String>>,
    scopes_supported: Vec<String>,
}

impl ResourceMetadata {
    /// The resource identifier (RFC 9728 §1.2): an `https` URL without query or fragment
    /// (`http` only on a loopback host, for development), the URL clients call.
    pub fn new(resource: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers: None,
            scopes_supported: Vec::new(),
        }
    }

    /// The issuers clients may get tokens from. Default: `https://{domain}/` for each domain
    /// the verifier accepts; required with a [`DomainResolver`](crate::DomainResolver) and no
    /// static domains.
    pub fn authorization_servers<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorization_servers = Some(issuers.into_iter().map(Into::into).collect());
        self
    }

    /// The scopes this API understands (`scopes_supported`, RFC 9728 §2). Default: none, and
    /// the member is left out.
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }
}

/// The metadata as the verifier publishes it: the document and where it lives. Built once,
/// when the verifier is.
#[derive(Debug)]
pub struct Published {
    url: String,
    path: String,
    document: serde_json::Value,
}

impl Published {
    /// The absolute URL of the document (what `resource_metadata="…"` carries).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path the document is served at (`/.well-known/oauth-protected-resource[/path]`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The JSON document (RFC 9728 §2).
    pub fn document(&self) -> &serde_json::Value {
        &self.document
    }

    /// The resource identifier.
    pub fn resource(&self) -> &str {
        self.document["resource"].as_str().unwrap_or_default()
    }
}

/// Validate the options and build what is published.
pub(crate) fn publish(
    meta: &ResourceMetadata,
    domains: &[String],
    mode: DpopMode,
) -> Result<Arc<Published>, ConfigError> {
    let bad = |reason| ConfigError::InvalidResource {
        resource: meta.resource.clone(),
        reason,
    };
    let u = url::Url::parse(&meta.resource).map_err(|_| bad("not an absolute URL"))?;
    let loopback = matches!(
        u.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(bad("must be an https URL (http only on a loopback host)")),
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("must have no query or fragment"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must have no userinfo"));
    }
    let servers = match &meta.authorization_servers {
        Some(s) => s.clone(),
        None => domains.iter().map(|d| format!("https://{d}/")).collect(),
    };
    if servers.is_empty() {
        return Err(ConfigError::MissingAuthorizationServers);
    }
    // §3.1: the well-known segment goes between the authority and the path; a path of "/"
    // (or a trailing slash) adds nothing.
    let path = format!("{WELL_KNOWN}{}", u.path().trim_end_matches('/'));
    let origin = u.origin().ascii_serialization();
    let mut document = serde_json::json!({
        "resource": meta.resource,
        "authorization_servers": servers,
        "bearer_methods_supported": ["header"],
    });
    if !meta.scopes_supported.is_empty() {
        document["scopes_supported"] = serde_json::json!(meta.scopes_supported);
    }
    if mode != DpopMode::Disabled {
        document["dpop_signing_alg_values_supported"] = serde_json::json!(PROOF_ALGS);
    }
    document["dpop_bound_access_tokens_required"] =
        serde_json::Value::Bool(mode == DpopMode::Required);
    Ok(Arc::new(Published {
        url: format!("{origin}{path}"),
        path,
        document,
    }))
}

/// A router serving the verifier's metadata document at its well-known path (merge it at the
/// root of the app: well-known URLs live at the origin's root). Empty when the verifier has no
/// [`ResourceMetadata`]. The document is public: `Access-Control-Allow-Origin: *` lets
/// browser-based clients read it, and it may be cached for an hour.
#[cfg(feature = "axum")]
pub fn router<S: Clone + Send + Sync + 'static>(verifier: &crate::Verifier) -> axum::Router<S> {
    use axum::response::IntoResponse;
    let Some(published) = verifier.resource_metadata() else {
        return axum::Router::new();
    };
    let body = axum::body::Bytes::from(published.document.to_string());
    let handler = move || {
        let body = body.clone();
        async move {
            (
                [
                    (http::header::CONTENT_TYPE, "application/json"),
                    (http::header::CACHE_CONTROL, "public, max-age=3600"),
                    (http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                ],
                body,
            )
                .into_response()
        }
    };
    axum::Router::new().route(&published.path, axum::routing::get(handler))
}
