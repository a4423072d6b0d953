//! Discovery and JWKS: fetched over HTTPS with a timeout and a body cap, cached per tenant.
//!
//! - TTL = min(configured, `Cache-Control: max-age`), never below the refresh cooldown:
//!   `max-age=0` must not turn every cache miss into a fetch.
//! - At most one network refresh per tenant per cooldown, whatever asks for it (expired keys,
//!   an unknown `kid`, a retry while the tenant is down). The attempt is recorded before the
//!   network call and the fetch runs in a spawned task that every waiter shares, so a request
//!   cancelled mid-fetch (client gone, timeout layer) neither aborts the refresh nor frees the
//!   cooldown.
//! - Expired keys that know the `kid` serve while another request refreshes
//!   (stale-while-revalidate); a verified-token cache hit on expired keys starts the refresh
//!   in the background, so a withdrawn key is noticed within one TTL even when every request
//!   hits the cache.
//! - Stale-if-error is bounded: while the tenant is unreachable, keys serve at most
//!   `max_stale` past their expiry; after that every token of the tenant is refused, logged
//!   at `error` by each failed refresh attempt and by the refused requests (once a minute).
//! - A JWKS key carrying private members is never used (KEY-12), logged at `error` once per
//!   fetch: the tenant's signing key is meant to be public, so the tenant is misconfigured.
//!
//! Fail-closed rule: when no usable keys are available for a tenant (never fetched, or older
//! than `max_stale`) and the fetch fails, the verifier answers 401 `invalid_token`
//! ("Unable to obtain the signing keys").
//!
//! Bounds: at most `max_tenants` tenants, 100 keys per JWKS, `max_bytes` per document, one
//! refresh task per tenant.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use aws_lc_rs::signature::ParsedPublicKey;
use serde_json::Value;
use tokio::sync::watch;

use crate::error::AuthError;
use crate::jose::Algorithm;
use crate::log_every::LogEvery;
use crate::mutant::{Mutant, Switch};

mod jwk;
mod ttl;

use jwk::parse_jwks;
#[cfg(test)]
pub(crate) use jwk::usable_key;
use ttl::{cache_ttl, max_age};

/// Counters for tests and monitoring.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Discovery documents fetched (attempts that reached the network).
    pub discovery_fetches: u64,
    /// JWKS documents fetched (attempts that reached the network).
    pub jwks_fetches: u64,
    /// Requests answered from the verified-token cache.
    pub token_cache_hits: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) discovery_fetches: AtomicU64,
    pub(crate) jwks_fetches: AtomicU64,
    pub(crate) token_cache_hits: crate::striped_counter::StripedCounter,
}

/// One usable verification key, parsed once per allowed algorithm.
pub(crate) struct KeyEntry {
    pub(crate) kid: Option<String>,
    /// The public key material, to detect removal on rotation.
    pub(crate) fingerprint: Vec<u8>,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
    /// Tests only: the `AlgFromKey` mutant's keys ignore the token's `alg`.
    any_alg: bool,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], sig: &[u8]) -> bool {
        self.parsed
            .iter()
            .any(|(a, k)| (*a == alg || self.any_alg) && k.verify_sig(msg, sig).is_ok())
    }
    fn supports(&self, alg: Algorithm) -> bool {
        self.parsed.iter().any(|(a, _)| *a == alg)
    }
}

#[derive(Debug)]
pub(crate) struct Jwks {
    pub(crate) keys: Vec<Arc<KeyEntry>>,
    generation: u64,
    expires_at: f64,
}

impl Jwks {
    /// Keys matching `kid` (all keys when the token has none) usable with `alg`. Duplicate
    /// kids yield several candidates; the caller tries each.
    fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<Arc<KeyEntry>> {
        self.keys
            .iter()
            .filter(|k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)) && k.supports(alg))
            .cloned()
            .collect()
    }

    fn contains(&self, key: &KeyEntry) -> bool {
        self.keys.iter().any(|k| k.fingerprint == key.fingerprint)
    }
}

#[derive(Debug, Clone)]
struct Discovery {
    jwks_uri: String,
    expires_at: f64,
}

#[derive(Debug, Default)]
struct TenantInner {
    discovery: Option<Discovery>,
    /// When the last network refresh started (the cooldown is counted from here).
    last_attempt: Option<f64>,
}

#[derive(Debug, Default)]
pub(crate) struct Tenant {
    inner: RwLock<TenantInner>,
    /// The current key set, readable without a lock or a reference-count update: the check
    /// every cached-token hit makes (`still_trusted`). Replaced with one atomic swap.
    current: ArcSwapOption<Jwks>,
    /// The refresh in flight, if any: waiters subscribe, the task sends `true` when done. A
    /// receiver whose sender is gone (its runtime shut down) means no refresh is running.
    inflight: Mutex<Option<watch::Receiver<bool>>>,
}

impl Tenant {
    fn jwks(&self) -> Option<Arc<Jwks>> {
        self.current.load_full()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<watch::Receiver<bool>>> {
        self.inflight.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_refreshing(&self) -> bool {
        self.slot()
            .as_ref()
            .is_some_and(|rx| rx.has_changed().is_ok())
    }
}

pub(crate) struct KeyCacheConfig {
    pub(crate) client: reqwest::Client,
    pub(crate) cache_ttl: f64,
    pub(crate) max_tenants: usize,
    pub(crate) cooldown: f64,
    /// How long past their expiry keys keep serving while refreshes fail.
    pub(crate) max_stale: f64,
    pub(crate) max_bytes: usize,
    pub(crate) allowed_algorithms: Vec<Algorithm>,
    /// Tests only: the key check a mutant verifier skips (see `mutant`).
    pub(crate) switch: Switch,
}

/// What a lookup produced.
pub(crate) struct KeyLookup {
    pub(crate) candidates: Vec<Arc<KeyEntry>>,
    /// The JWKS generation the candidates come from (recorded with cached tokens).
    pub(crate) generation: u64,
    /// The tenant they belong to (cached tokens keep it, so a hit needs no map lookup).
    pub(crate) tenant: Arc<Tenant>,
}

impl KeyLookup {
    fn new(tenant: &Arc<Tenant>, jwks: &Jwks, candidates: Vec<Arc<KeyEntry>>) -> Self {
        Self {
            candidates,
            generation: jwks.generation,
            tenant: tenant.clone(),
        }
    }
}

/// Shared with the refresh tasks, which outlive the request that started them.
struct Shared {
    cfg: KeyCacheConfig,
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    generation: AtomicU64,
    counters: Counters,
    /// Called when a refresh removes a key: the verifier clears its token cache (whose epoch
    /// then refuses late inserts).
    on_key_removed: KeyRemoved,
    /// One `error` line per interval while requests are refused on keys past `max_stale`.
    past_stale_log: LogEvery,
}

pub(crate) struct KeyCache {
    shared: Arc<Shared>,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("status {0}")]
    Status(u16),
    #[error("body larger than the cap")]
    TooLarge,
    #[error("invalid JSON document")]
    Json,
    #[error("discovery issuer does not equal https://{{domain}}/")]
    IssuerMismatch,
    #[error("jwks_uri missing or not https")]
    JwksUri,
    #[error("JWKS has no keys array")]
    NoKeys,
}

/// At most one `error` line per this interval for requests refused on keys past `max_stale`.
const PAST_STALE_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// What a refresh that removes a key calls.
pub(crate) type KeyRemoved = Box<dyn Fn() + Send + Sync>;

impl KeyCache {
    pub(crate) fn new(cfg: KeyCacheConfig, on_key_removed: KeyRemoved) -> Self {
        Self {
            shared: Arc::new(Shared {
                cfg,
                tenants: RwLock::new(HashMap::new()),
                generation: AtomicU64::new(1),
                counters: Counters::default(),
                on_key_removed,
                past_stale_log: LogEvery::new(PAST_STALE_LOG_INTERVAL),
            }),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    pub(crate) fn existing_tenant(&self, domain: &str) -> Option<Arc<Tenant>> {
        self.shared
            .tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(domain)
            .cloned()
    }

    fn tenant(&self, domain: &str) -> Arc<Tenant> {
        if let Some(t) = self.existing_tenant(domain) {
            return t;
        }
        let mut map = self
            .shared
            .tenants
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.shared.cfg.max_tenants && !map.contains_key(domain) {
            // Bounded: drop an arbitrary tenant (the allow-list keeps this set small; only a
            // resolver returning many domains gets here).
            if let Some(k) = map.keys().next().cloned() {
                map.remove(&k);
            }
        }
        map.entry(domain.to_owned()).or_default().clone()
    }

    /// Whether `jwks` may still be used: fresh, or expired by at most `max_stale`.
    fn within_stale_bound(&self, jwks: &Jwks, now: f64) -> bool {
        now < jwks.expires_at + self.shared.cfg.max_stale
    }

    /// Keys for `domain` that may have signed a token with `kid` and `alg`.
    pub(crate) async fn keys_for(
        &self,
        domain: &str,
        kid: Option<&str>,
        alg: Algorithm,
        now: f64,
    ) -> Result<KeyLookup, AuthError> {
        let tenant = self.tenant(domain);
        let cached = tenant.jwks().is_some();
        if let Some(jwks) = tenant.jwks() {
            let c = jwks.candidates(kid, alg);
            // Fresh keys that know the kid; or expired ones while another request refreshes
            // (do not queue behind a possibly slow fetch).
            let serve = now < jwks.expires_at
                || (tenant.is_refreshing() && self.within_stale_bound(&jwks, now));
            if !c.is_empty() && serve {
                return Ok(KeyLookup::new(&tenant, &jwks, c));
            }
        }
        let refresh = !(cached && self.shared.cfg.switch.off(Mutant::NoRefresh));
        if let Some(mut done) = self.start_or_join(domain, &tenant, now).filter(|_| refresh) {
            // Only the waiting is cancelled with this request, never the refresh.
            let _ = done.wait_for(|d| *d).await;
        }
        let Some(jwks) = tenant.jwks() else {
            return Err(AuthError::KeysUnavailable);
        };
        if !self.within_stale_bound(&jwks, now) {
            // The refusal the operator must hear about (the README promises `error`): said
            // here, where the request is refused, not only by a refresh that happens to fail
            // later. Once per interval, not once per request.
            if let Some(suppressed) = self.shared.past_stale_log.ready(now) {
                tracing::error!(
                    domain,
                    suppressed,
                    max_stale_secs = self.shared.cfg.max_stale,
                    "the cached signing keys are past the maximum staleness and no refresh \
                     succeeded: every token of this tenant is refused"
                );
            }
            return Err(AuthError::KeysUnavailable);
        }
        Ok(KeyLookup::new(&tenant, &jwks, jwks.candidates(kid, alg)))
    }

    /// Whether a cached token verified by `key` (from JWKS `generation`) may be served
    /// without verifying it again: its key is still in the tenant's current key set and that
    /// set is within the staleness bound. Expired keys start a background refresh.
    pub(crate) fn still_trusted(
        &self,
        tenant: &Arc<Tenant>,
        domain: &str,
        key: &KeyEntry,
        generation: u64,
        now: f64,
    ) -> bool {
        let jwks = tenant.current.load();
        let Some(jwks) = jwks.as_deref() else {
            return false;
        };
        let present = jwks.generation == generation || jwks.contains(key);
        if !present || !self.within_stale_bound(jwks, now) {
            return false;
        }
        if now >= jwks.expires_at {
            // Not awaited: this request is served with keys we still trust.
            drop(self.start_or_join(domain, tenant, now));
        }
        true
    }

    /// Joins the refresh in flight, or starts one unless the cooldown forbids it (then
    /// `None`: use what is cached). Single flight per tenant.
    fn start_or_join(
        &self,
        domain: &str,
        tenant: &Arc<Tenant>,
        now: f64,
    ) -> Option<watch::Receiver<bool>> {
        let mut slot = tenant.slot();
        if let Some(rx) = slot.as_ref()
            && rx.has_changed().is_ok()
        {
            return Some(rx.clone());
        }
        *slot = None;
        {
            let mut inner = tenant.inner.write().unwrap_or_else(|e| e.into_inner());
            let cooldown = self.shared.cfg.cooldown;
            if inner
                .last_attempt
                .is_some_and(|t| now >= t && now - t < cooldown)
            {
                return None;
            }
            // Recorded before the network call: a refresh nobody waits for any more still
            // counts against the cooldown.
            inner.last_attempt = Some(now);
        }
        let (tx, rx) = watch::channel(false);
        *slot = Some(rx.clone());
        drop(slot);
        let shared = self.shared.clone();
        let tenant = tenant.clone();
        let domain = domain.to_owned();
        // Spawned, so that cancelling the request that started it does not cancel it.
        tokio::spawn(async move {
            let result = shared.fetch(&domain, &tenant, now).await;
            shared.apply(&domain, &tenant, result, now);
            *tenant.slot() = None;
            let _ = tx.send(true);
        });
        Some(rx)
    }

    /// Tests: wait until no refresh is in flight.
    #[cfg(test)]
    pub(crate) async fn refreshes_settled(&self) {
        let tenants: Vec<Arc<Tenant>> = self
            .shared
            .tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for t in tenants {
            let rx = t.slot().clone();
            if let Some(mut rx) = rx {
                let _ = rx.wait_for(|d| *d).await;
            }
        }
    }
}

impl Shared {
    /// Discovery (when expired) then the JWKS: the usable keys and their TTL.
    async fn fetch(
        &self,
        domain: &str,
        tenant: &Tenant,
        now: f64,
    ) -> Result<(Vec<Arc<KeyEntry>>, f64), FetchError> {
        let discovery = {
            let inner = tenant.inner.read().unwrap_or_else(|e| e.into_inner());
            inner.discovery.clone().filter(|d| now < d.expires_at)
        };
        let discovery = match discovery {
            Some(d) => d,
            None => {
                let d = self.fetch_discovery(domain, now).await?;
                tenant
                    .inner
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .discovery = Some(d.clone());
                d
            }
        };
        self.counters.jwks_fetches.fetch_add(1, Ordering::Relaxed);
        let (doc, ttl) = self.fetch_json(&discovery.jwks_uri).await?;
        let keys = parse_jwks(&doc, &self.cfg.allowed_algorithms, domain, self.cfg.switch)?;
        Ok((keys, ttl))
    }

    /// Installs a refresh's outcome.
    fn apply(
        &self,
        domain: &str,
        tenant: &Tenant,
        result: Result<(Vec<Arc<KeyEntry>>, f64), FetchError>,
        now: f64,
    ) {
        match result {
            Ok((keys, ttl)) => {
                let jwks = Arc::new(Jwks {
                    keys,
                    generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
                    expires_at: now + ttl,
                });
                // One atomic swap: the set replaced is exactly the one compared.
                let old = tenant.current.swap(Some(jwks.clone()));
                let removed = old.is_some_and(|old| old.keys.iter().any(|k| !jwks.contains(k)));
                // After the new keys are in place, so that a request that read the old keys
                // finds its insert refused by the cache epoch. Cached tokens of the removed
                // key would fail their key check on the next hit anyway; this frees them.
                if removed {
                    tracing::info!(domain, "a signing key left the JWKS: token cache cleared");
                    (self.on_key_removed)();
                }
            }
            Err(e) => match tenant.jwks().as_deref() {
                Some(jwks) if now >= jwks.expires_at + self.cfg.max_stale => {
                    tracing::error!(
                        domain,
                        error = %e,
                        max_stale_secs = self.cfg.max_stale,
                        "JWKS/discovery refresh failed and the cached keys are past the \
                         maximum staleness: every token of this tenant is refused"
                    );
                }
                Some(_) => tracing::warn!(
                    domain,
                    error = %e,
                    "JWKS/discovery refresh failed; serving the cached keys"
                ),
                None => tracing::warn!(domain, error = %e, "JWKS/discovery refresh failed"),
            },
        }
    }

    async fn fetch_discovery(&self, domain: &str, now: f64) -> Result<Discovery, FetchError> {
        self.counters
            .discovery_fetches
            .fetch_add(1, Ordering::Relaxed);
        let url = format!("https://{domain}/.well-known/openid-configuration");
        let (doc, ttl) = self.fetch_json(&url).await?;
        // RFC 8414 §3.3: the issuer in the document must be identical to the one we expect.
        let expected = format!("https://{domain}/");
        if doc.get("issuer").and_then(Value::as_str) != Some(expected.as_str()) {
            return Err(FetchError::IssuerMismatch);
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or(FetchError::JwksUri)?;
        let parsed = url::Url::parse(jwks_uri).map_err(|_| FetchError::JwksUri)?;
        if parsed.scheme() != "https" || parsed.host_str().is_none() {
            return Err(FetchError::JwksUri);
        }
        Ok(Discovery {
            jwks_uri: jwks_uri.to_owned(),
            expires_at: now + ttl,
        })
    }

    /// GET a JSON document with the body capped; returns it with its cache TTL.
    async fn fetch_json(&self, url: &str) -> Result<(Value, f64), FetchError> {
        let mut resp = self
            .cfg
            .client
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(FetchError::Status(resp.status().as_u16()));
        }
        let max_age = resp
            .headers()
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let ttl = cache_ttl(max_age, self.cfg.cache_ttl, self.cfg.cooldown);
        if resp
            .content_length()
            .is_some_and(|l| l > self.cfg.max_bytes as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if body.len() + chunk.len() > self.cfg.max_bytes {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let doc: Value = serde_json::from_slice(&body).map_err(|_| FetchError::Json)?;
        if !doc.is_object() {
            return Err(FetchError::Json);
        }
        Ok((doc, ttl))
    }
}
