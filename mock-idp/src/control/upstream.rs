//! Delegation: while an upstream is set, the tenant answers discovery and JWKS (and only
//! those) with what another tenant serves for the same path and query.
//!
//! This is how `mock-idp conformance --tenant URL` attaches to a running `mock-idp serve`: the
//! runner keeps its in-process tenant (the catalog steers it synchronously: keys, faults,
//! variant JWKS, fetch counts) and points the running tenant at it, so the verifier under test
//! keeps fetching from the domain it was configured with and sees every document the catalog
//! publishes. The running tenant still journals and counts these requests and still applies
//! its own faults first; tokens are not forwarded (the runner mints them itself).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ControlError;
use crate::tenant::state::TenantState;
use crate::tenant::upstream::Upstream;

/// Largest body relayed from the upstream. Well above the 64 KiB the tenant reads from its own
/// clients: the conformance catalog publishes a JWKS of a few MiB (RES-09) to see whether the
/// verifier bounds what it reads, and the relay must not answer that question in its place.
const MAX_FORWARDED_BODY: usize = 8 * 1024 * 1024;

/// How long one forwarded request may take. The catalog delays JWKS answers by a few seconds
/// (timeout cases); a slower or silent upstream drops the connection instead of hanging the
/// verifier forever.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// Response headers relayed as they came: what a verifier's caching, redirect and rate-limit
/// handling reads.
const RELAYED_HEADERS: &[HeaderName] = &[
    header::CONTENT_TYPE,
    header::CACHE_CONTROL,
    header::LOCATION,
    header::RETRY_AFTER,
    header::EXPIRES,
    header::ETAG,
    header::LAST_MODIFIED,
];

/// `PUT /control/upstream` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpstreamRequest {
    /// The upstream's origin, `https://127.0.0.1:PORT`.
    url: String,
    /// The CA (PEM) the upstream's certificate chains to; trusted for this upstream only.
    /// Without it, an `https` upstream must chain to the system's roots.
    ca_pem: Option<String>,
}

/// The upstream `req` names, if it is a usable origin (and its CA, if given, a certificate).
fn upstream(req: UpstreamRequest) -> Result<Upstream, ControlError> {
    let bad = |m: String| ControlError::BadRequest(m);
    let origin = url::Url::parse(&req.url).map_err(|e| bad(format!("url: {e}")))?;
    if !matches!(origin.scheme(), "http" | "https") || origin.host().is_none() {
        return Err(bad("url: an http or https origin, please".into()));
    }
    if origin.path() != "/" || origin.query().is_some() || origin.fragment().is_some() {
        return Err(bad(
            "url: an origin only (scheme://host:port), without path or query".into(),
        ));
    }
    let mut builder = reqwest::Client::builder()
        // Redirects are the upstream's answer, relayed to the verifier to judge.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FORWARD_TIMEOUT);
    if let Some(pem) = &req.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("ca_pem: not a PEM certificate".into()))?;
        builder = builder.tls_certs_only(certs);
    }
    let client = builder
        .build()
        .map_err(|e| bad(format!("cannot build a client for this upstream: {e}")))?;
    Ok(Upstream { origin, client })
}

/// Why a forwarded request got no answer to relay.
#[derive(Debug, thiserror::Error)]
enum ForwardError {
    /// The upstream could not be reached, refused, timed out or broke the response.
    #[error("upstream request failed: {0}")]
    Request(#[from] reqwest::Error),
    /// The upstream's body is larger than [`MAX_FORWARDED_BODY`].
    #[error("upstream body exceeds {MAX_FORWARDED_BODY} bytes")]
    TooLarge,
}

/// `PUT /control/upstream`: delegate discovery and JWKS to `url`.
pub(super) async fn set(
    State(st): State<Arc<TenantState>>,
    body: Result<Json<UpstreamRequest>, JsonRejection>,
) -> Result<StatusCode, ControlError> {
    let Json(req) = body?;
    let upstream = upstream(req)?;
    *st.upstream.write().unwrap_or_else(|e| e.into_inner()) = Some(upstream);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /control/upstream`: `{"url": ...}` while delegating, `{"url": null}` otherwise.
pub(super) async fn get(State(st): State<Arc<TenantState>>) -> Response {
    let url = st.upstream().map(|u| u.origin());
    Json(serde_json::json!({ "url": url })).into_response()
}

/// `DELETE /control/upstream`: serve the tenant's own documents again.
pub(super) async fn clear(State(st): State<Arc<TenantState>>) -> StatusCode {
    *st.upstream.write().unwrap_or_else(|e| e.into_inner()) = None;
    StatusCode::NO_CONTENT
}

/// The upstream's answer to the request for `uri`, relayed; a dropped connection if there is
/// none to relay, so the verifier sees the failure the upstream caused.
pub(crate) async fn forward(upstream: &Upstream, uri: &Uri, headers: &HeaderMap) -> Response {
    match fetch(upstream, uri, headers).await {
        Ok(res) => res,
        Err(_) => crate::responses::dropped_connection(),
    }
}

async fn fetch(
    upstream: &Upstream,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ForwardError> {
    let mut url = upstream.origin.clone();
    url.set_path(uri.path());
    url.set_query(uri.query());
    let mut req = upstream.client.get(url);
    // The upstream serves the issuer of the Host it is asked for: the running tenant's.
    for name in [header::HOST, header::ACCEPT] {
        if let Some(v) = headers.get(&name) {
            req = req.header(name, v.clone());
        }
    }
    let mut res = req.send().await?;
    let status = res.status();
    let relayed: Vec<(HeaderName, HeaderValue)> = RELAYED_HEADERS
        .iter()
        .filter_map(|n| res.headers().get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if body.len() + chunk.len() > MAX_FORWARDED_BODY {
            return Err(ForwardError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let mut out = (status, body).into_response();
    // `(status, Vec<u8>)` adds an octet-stream type: only the upstream's own headers count.
    out.headers_mut().remove(header::CONTENT_TYPE);
    out.headers_mut().extend(relayed);
    Ok(out)
}
