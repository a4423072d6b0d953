//! One fetch of a client ID metadata document: resolve the host, apply the SSRF rule to every
//! address, then connect to the address that was checked (the resolution is pinned into the
//! HTTP client, so a DNS answer that changes between check and connect, DNS rebinding, cannot
//! reach a refused address). No redirects, no proxy, a short timeout, a size cap.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::DocumentError;
use super::address::is_public;
use crate::config::ClientIdMetadataDocuments;

/// How long resolving and fetching one document may take, in all.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest document read (bytes); the draft suggests 5 KiB.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 5 * 1024;

/// A fetched document: its bytes and how long the server allows it to be cached.
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    /// `Cache-Control: max-age` in seconds; `None` when absent, `Some(0)` for `no-store`.
    pub(crate) max_age: Option<u64>,
}

/// The addresses to connect to for `u`, checked against the SSRF rule.
async fn pinned_addresses(
    u: &url::Url,
    settings: &ClientIdMetadataDocuments,
) -> Result<Vec<SocketAddr>, DocumentError> {
    let port = u.port_or_known_default().unwrap_or(443);
    let host = u.host_str().unwrap_or_default();
    let addrs: Vec<SocketAddr> = match u.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        _ => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| DocumentError::Resolve)?
            .collect(),
    };
    let allowed = settings.allow_hosts.iter().any(|h| {
        h.trim_matches(['[', ']'])
            .eq_ignore_ascii_case(host.trim_matches(['[', ']']))
    });
    // Every address must pass, not just one: the connection could go to any of them.
    if !allowed && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(DocumentError::NonPublicAddress);
    }
    if addrs.is_empty() {
        return Err(DocumentError::Resolve);
    }
    Ok(addrs)
}

/// Fetches the document at `u` under the SSRF rule.
pub(crate) async fn fetch(
    u: &url::Url,
    settings: &ClientIdMetadataDocuments,
) -> Result<Fetched, DocumentError> {
    tokio::time::timeout(FETCH_TIMEOUT, fetch_unbounded(u, settings))
        .await
        .map_err(|_| DocumentError::Timeout)?
}

async fn fetch_unbounded(
    u: &url::Url,
    settings: &ClientIdMetadataDocuments,
) -> Result<Fetched, DocumentError> {
    let addrs = pinned_addresses(u, settings).await?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(FETCH_TIMEOUT)
        .user_agent("mock-idp client-id-metadata-document fetcher");
    if let Some(domain) = u.domain() {
        // Only the checked addresses: the client resolves nothing itself.
        builder = builder.resolve_to_addrs(domain, &addrs);
    }
    if let Some(pem) = &settings.ca_pem {
        // Validated at start-up; an unusable one here trusts nothing.
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap_or_default();
        builder = builder.tls_certs_only(certs);
    }
    let client = builder.build().map_err(|_| DocumentError::Unreachable)?;
    let mut res = client
        .get(u.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                DocumentError::Timeout
            } else {
                DocumentError::Unreachable
            }
        })?;
    let status = res.status();
    if status.is_redirection() {
        return Err(DocumentError::Redirect);
    }
    if status != reqwest::StatusCode::OK {
        return Err(DocumentError::Status(status.as_u16()));
    }
    let json = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        });
    if !json {
        return Err(DocumentError::ContentType);
    }
    if res
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(DocumentError::TooLarge);
    }
    let max_age = max_age(res.headers());
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| {
        if e.is_timeout() {
            DocumentError::Timeout
        } else {
            DocumentError::Unreachable
        }
    })? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(DocumentError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, max_age })
}

/// `max-age` of `Cache-Control`, `Some(0)` for `no-store` / `no-cache`.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let cc = headers
        .get(reqwest::header::CACHE_CONTROL)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let mut out = None;
    for d in cc.split(',').map(str::trim) {
        if d == "no-store" || d == "no-cache" {
            return Some(0);
        }
        if let Some(v) = d.strip_prefix("max-age=") {
            out = v.trim_matches('"').parse().ok();
        }
    }
    out
}
