//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, as the MCP
//! authorization spec 2025-11-25 uses them): a client sends an `https` URL as its `client_id`,
//! and the tenant fetches the JSON document there, checks it, and treats the client as a
//! third-party public application for the login. Behind `[client_id_metadata_documents]
//! enabled` in the tenant TOML.
//!
//! | file | what it holds |
//! |---|---|
//! | `address` | which URLs are accepted and which addresses may be fetched from (the SSRF rule) |
//! | `fetch` | one fetch: resolution pinned to the checked address, no redirects, timeout, size cap |
//! | `document` | the document's rules and the application it becomes |
//!
//! Bounds (a stranger chooses the URLs): at most [`MAX_CACHED`] documents and
//! [`MAX_CACHED_BYTES`] cached, each for the server's `Cache-Control: max-age` up to
//! [`MAX_AGE_CEILING`] seconds of the tenant clock ([`DEFAULT_MAX_AGE`] without one); at most
//! [`MAX_CONCURRENT_FETCHES`] fetches at once (more are refused at once, not queued), each at
//! most 3 seconds (`fetch::FETCH_TIMEOUT`) and 5 KiB (`fetch::MAX_DOCUMENT_BYTES`). Failures are not cached;
//! what bounds a flood of failing URLs is the concurrency bound.

mod address;
mod document;
mod fetch;

use std::sync::{Arc, Mutex};

use crate::config::{ApplicationConfig, TenantConfig};
use crate::tenant::store::{BoundedStore, Footprint, WhenFull};

/// Most documents cached.
pub(crate) const MAX_CACHED: usize = 1_000;
/// Bytes of cached documents, at most (4 MiB).
pub(crate) const MAX_CACHED_BYTES: usize = 4 << 20;
/// Seconds a document is cached when its server says nothing.
pub(crate) const DEFAULT_MAX_AGE: u64 = 300;
/// Most seconds a document is cached, whatever its server says.
pub(crate) const MAX_AGE_CEILING: u64 = 3_600;
/// Most fetches in flight at once.
pub(crate) const MAX_CONCURRENT_FETCHES: usize = 8;

/// Why a URL `client_id` cannot be used. `Display` is the `error_description`: it names the
/// rule broken and never repeats what the fetched server sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DocumentError {
    /// The URL itself breaks the draft's rules (§3).
    #[error("The client_id URL {0}")]
    Url(&'static str),
    #[error("The host of the client_id URL could not be resolved")]
    Resolve,
    /// The SSRF rule: the host resolves to an address that is not public.
    #[error(
        "The host of the client_id URL resolves to a loopback, private or otherwise non-public address"
    )]
    NonPublicAddress,
    #[error("The client metadata document could not be fetched within 3 seconds")]
    Timeout,
    #[error("The client metadata document could not be fetched")]
    Unreachable,
    #[error("The client_id URL answered with a redirect, which is not followed")]
    Redirect,
    #[error("The client_id URL answered HTTP {0}, not 200")]
    Status(u16),
    #[error("The client metadata document must be served as application/json")]
    ContentType,
    #[error("The client metadata document is larger than 5120 bytes")]
    TooLarge,
    #[error("The client metadata document is not a JSON object")]
    NotJson,
    /// §4.1: the document's `client_id` must equal the URL it was fetched from.
    #[error("The client_id in the client metadata document is not the URL it was fetched from")]
    ClientIdMismatch,
    #[error("The client metadata document is invalid: {0}")]
    Invalid(&'static str),
    /// [`MAX_CONCURRENT_FETCHES`] are in flight.
    #[error("Too many client metadata documents are being fetched; try again later")]
    Busy,
}

impl DocumentError {
    /// `temporarily_unavailable` when the tenant is busy; `invalid_client` otherwise.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            DocumentError::Busy => "temporarily_unavailable",
            _ => "invalid_client",
        }
    }
}

struct Cached {
    app: Arc<ApplicationConfig>,
    bytes: usize,
}

impl Footprint for Cached {
    fn footprint(&self) -> usize {
        // The document's bytes stand for the application built from them (roughly twice).
        2 * self.bytes + 256
    }
}

/// The tenant's cache of fetched documents and its fetch bound.
pub(crate) struct ClientDocuments {
    cache: Mutex<BoundedStore<String, Cached>>,
    fetches: tokio::sync::Semaphore,
}

impl std::fmt::Debug for ClientDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientDocuments").finish_non_exhaustive()
    }
}

impl Default for ClientDocuments {
    fn default() -> Self {
        ClientDocuments {
            cache: Mutex::new(BoundedStore::new(
                MAX_CACHED,
                MAX_CACHED_BYTES,
                WhenFull::EvictSoonest,
            )),
            fetches: tokio::sync::Semaphore::new(MAX_CONCURRENT_FETCHES),
        }
    }
}

/// Whether `client_id` is meant as a URL (so a refusal names the URL rule it breaks instead
/// of "Unknown client").
fn looks_like_url(client_id: &str) -> bool {
    let lower = client_id.get(..8).unwrap_or(client_id).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

impl ClientDocuments {
    /// The application a URL `client_id` stands for, fetched (or cached). `Ok(None)`: not a
    /// document client (the feature is off, the id is no URL, or the tenant has an
    /// application with that very id).
    pub(crate) async fn resolve(
        &self,
        cfg: &TenantConfig,
        client_id: Option<&str>,
        now: i64,
    ) -> Result<Option<Arc<ApplicationConfig>>, DocumentError> {
        let settings = &cfg.client_id_metadata_documents;
        let Some(id) = client_id else {
            return Ok(None);
        };
        if !settings.enabled || !looks_like_url(id) || cfg.application(id).is_some() {
            return Ok(None);
        }
        let u = address::parse(id)?;
        if let Some(app) = self.cached(id, now) {
            return Ok(Some(app));
        }
        let _permit = self
            .fetches
            .try_acquire()
            .map_err(|_| DocumentError::Busy)?;
        let fetched = fetch::fetch(&u, settings).await?;
        let app = Arc::new(document::application(id, &fetched.body)?);
        let ttl = fetched
            .max_age
            .unwrap_or(DEFAULT_MAX_AGE)
            .min(MAX_AGE_CEILING);
        if ttl > 0 {
            let entry = Cached {
                app: app.clone(),
                bytes: id.len() + fetched.body.len(),
            };
            let expires = now.saturating_add(i64::try_from(ttl).unwrap_or(0));
            lock(&self.cache).insert(id.to_owned(), entry, expires, now);
        }
        Ok(Some(app))
    }

    /// The cached application for `client_id`, if fresh (no fetch).
    pub(crate) fn cached(&self, client_id: &str, now: i64) -> Option<Arc<ApplicationConfig>> {
        lock(&self.cache)
            .get(&client_id.to_owned(), now)
            .map(|c| c.app.clone())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
