//! Discovery and JWKS: fetched over HTTPS with a timeout and a body cap, cached per tenant
//! (TTL = min(configured, Cache-Control max-age)), single-flight on misses, one rate-limited
//! refresh on an unknown `kid`, and stale keys served while the tenant is unreachable.
//!
//! Fail-closed rule: when no keys were ever obtained for a tenant and the fetch fails, the
//! verifier answers 401 `invalid_token` ("Unable to obtain the signing keys").

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use serde_json::Value;

use super::error::AuthError;
use super::jose::b64url_decode;
use super::options::Algorithm;

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
    pub(crate) token_cache_hits: AtomicU64,
}

/// One usable verification key, parsed once per allowed algorithm.
pub(crate) struct KeyEntry {
    pub(crate) kid: Option<String>,
    /// The public key material, to detect removal on rotation.
    pub(crate) fingerprint: Vec<u8>,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
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
            .any(|(a, k)| *a == alg && k.verify_sig(msg, sig).is_ok())
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
}

#[derive(Debug, Clone)]
struct Discovery {
    jwks_uri: String,
    expires_at: f64,
}

#[derive(Debug, Default)]
struct TenantInner {
    discovery: Option<Discovery>,
    jwks: Option<Arc<Jwks>>,
    /// When the last network refresh was attempted (cooldown for unknown kids and for
    /// retries while the tenant is down).
    last_attempt: Option<f64>,
    last_failed: bool,
}

#[derive(Debug, Default)]
struct Tenant {
    /// Held while fetching: concurrent misses wait here and then reuse the result.
    fetch_lock: tokio::sync::Mutex<()>,
    inner: RwLock<TenantInner>,
}

pub(crate) struct MetadataConfig {
    pub(crate) client: reqwest::Client,
    pub(crate) cache_ttl: f64,
    pub(crate) max_tenants: usize,
    pub(crate) cooldown: f64,
    pub(crate) max_bytes: usize,
    pub(crate) allowed_algorithms: Vec<Algorithm>,
    pub(crate) insecure_http: bool,
}

/// What a lookup produced.
pub(crate) struct KeyLookup {
    pub(crate) candidates: Vec<Arc<KeyEntry>>,
    /// A refresh removed keys: verified-token caches must be dropped.
    pub(crate) keys_removed: bool,
}

pub(crate) struct MetadataCache {
    cfg: MetadataConfig,
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    generation: AtomicU64,
    pub(crate) counters: Counters,
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

impl MetadataCache {
    pub(crate) fn new(cfg: MetadataConfig) -> Self {
        Self {
            cfg,
            tenants: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(1),
            counters: Counters::default(),
        }
    }

    fn tenant(&self, domain: &str) -> Arc<Tenant> {
        if let Some(t) = self
            .tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(domain)
        {
            return t.clone();
        }
        let mut map = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.cfg.max_tenants && !map.contains_key(domain) {
            // Bounded: drop an arbitrary tenant (the allow-list keeps this set small; only a
            // resolver returning many domains gets here).
            if let Some(k) = map.keys().next().cloned() {
                map.remove(&k);
            }
        }
        map.entry(domain.to_owned()).or_default().clone()
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
        let (seen_generation, stale) = {
            let inner = tenant.inner.read().unwrap_or_else(|e| e.into_inner());
            match &inner.jwks {
                Some(jwks) => {
                    let c = jwks.candidates(kid, alg);
                    if now < jwks.expires_at && !c.is_empty() {
                        return Ok(KeyLookup {
                            candidates: c,
                            keys_removed: false,
                        });
                    }
                    (jwks.generation, c)
                }
                None => (0, Vec::new()),
            }
        };

        // Expired keys that still know this kid: if another request is already refreshing,
        // use them instead of queueing behind a possibly slow fetch (stale-while-revalidate).
        let _guard = match tenant.fetch_lock.try_lock() {
            Ok(g) => g,
            Err(_) if !stale.is_empty() => {
                return Ok(KeyLookup {
                    candidates: stale,
                    keys_removed: false,
                });
            }
            Err(_) => tenant.fetch_lock.lock().await,
        };
        // Someone may have refreshed while we waited: use their result (single flight).
        let (current, last_attempt, last_failed) = {
            let inner = tenant.inner.read().unwrap_or_else(|e| e.into_inner());
            (inner.jwks.clone(), inner.last_attempt, inner.last_failed)
        };
        if let Some(jwks) = &current
            && jwks.generation != seen_generation
        {
            return Ok(KeyLookup {
                candidates: jwks.candidates(kid, alg),
                keys_removed: false,
            });
        }
        let in_cooldown = last_attempt.is_some_and(|t| now - t < self.cfg.cooldown && now >= t);
        if let Some(jwks) = &current {
            let fresh = now < jwks.expires_at;
            // Fresh keys and an unknown kid: refresh at most once per cooldown.
            // Stale keys after a failed refresh: retry at most once per cooldown.
            if (fresh || last_failed) && in_cooldown {
                return Ok(KeyLookup {
                    candidates: jwks.candidates(kid, alg),
                    keys_removed: false,
                });
            }
        } else if last_failed && in_cooldown {
            return Err(AuthError::KeysUnavailable);
        }

        match self.refresh(domain, &tenant, now).await {
            Ok((jwks, keys_removed)) => Ok(KeyLookup {
                candidates: jwks.candidates(kid, alg),
                keys_removed,
            }),
            Err(e) => {
                tracing::warn!(domain, error = %e, "JWKS/discovery refresh failed");
                let mut inner = tenant.inner.write().unwrap_or_else(|e| e.into_inner());
                inner.last_attempt = Some(now);
                inner.last_failed = true;
                match &inner.jwks {
                    // Stale-if-error: keys we already trust keep working.
                    Some(jwks) => Ok(KeyLookup {
                        candidates: jwks.candidates(kid, alg),
                        keys_removed: false,
                    }),
                    None => Err(AuthError::KeysUnavailable),
                }
            }
        }
    }

    async fn refresh(
        &self,
        domain: &str,
        tenant: &Tenant,
        now: f64,
    ) -> Result<(Arc<Jwks>, bool), FetchError> {
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
        let keys = parse_jwks(&doc, &self.cfg.allowed_algorithms)?;
        let jwks = Arc::new(Jwks {
            keys,
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
            expires_at: now + ttl,
        });
        let mut inner = tenant.inner.write().unwrap_or_else(|e| e.into_inner());
        let keys_removed = inner.jwks.as_ref().is_some_and(|old| {
            old.keys
                .iter()
                .any(|k| !jwks.keys.iter().any(|n| n.fingerprint == k.fingerprint))
        });
        inner.jwks = Some(jwks.clone());
        inner.last_attempt = Some(now);
        inner.last_failed = false;
        Ok((jwks, keys_removed))
    }

    async fn fetch_discovery(&self, domain: &str, now: f64) -> Result<Discovery, FetchError> {
        self.counters
            .discovery_fetches
            .fetch_add(1, Ordering::Relaxed);
        let scheme = if self.cfg.insecure_http {
            "http"
        } else {
            "https"
        };
        let url = format!("{scheme}://{domain}/.well-known/openid-configuration");
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
        let scheme_ok =
            parsed.scheme() == "https" || (self.cfg.insecure_http && parsed.scheme() == "http");
        if !scheme_ok || parsed.host_str().is_none() {
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
        let ttl = resp
            .headers()
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age)
            .map_or(self.cfg.cache_ttl, |m| m.min(self.cfg.cache_ttl));
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

/// `max-age=N` from a Cache-Control value, in seconds.
fn max_age(cc: &str) -> Option<f64> {
    cc.split(',').find_map(|d| {
        let d = d.trim();
        let (k, v) = d.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("max-age") {
            v.trim()
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(|n| n as f64)
        } else {
            None
        }
    })
}

/// Largest RSA modulus accepted (bits): bigger keys are a CPU-cost attack (RES-06).
const MAX_RSA_BITS: usize = 8192;
const MIN_RSA_BITS: usize = 2048;

fn parse_jwks(doc: &Value, allowed: &[Algorithm]) -> Result<Vec<Arc<KeyEntry>>, FetchError> {
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(FetchError::NoKeys)?;
    Ok(keys
        .iter()
        .take(100)
        .filter_map(|k| usable_key(k, allowed))
        .map(Arc::new)
        .collect())
}

/// RFC 7517 / RFC 8725 key filter. Unusable keys are skipped (never an error): `kty` RSA,
/// `use` absent or `sig`, `key_ops` absent or containing `verify`, `alg` absent or allowed,
/// modulus 2048..=8192 bits, exponent odd and >= 3. Private members are ignored.
pub(crate) fn usable_key(k: &Value, allowed: &[Algorithm]) -> Option<KeyEntry> {
    let k = k.as_object()?;
    if k.get("kty")?.as_str()? != "RSA" {
        return None;
    }
    if let Some(u) = k.get("use")
        && u.as_str()? != "sig"
    {
        return None;
    }
    if let Some(ops) = k.get("key_ops")
        && !ops.as_array()?.iter().any(|o| o.as_str() == Some("verify"))
    {
        return None;
    }
    let kid = match k.get("kid") {
        None => None,
        Some(v) => Some(v.as_str()?.to_owned()),
    };
    let algs: Vec<Algorithm> = match k.get("alg") {
        None => allowed.to_vec(),
        Some(v) => {
            let a: Algorithm = v.as_str()?.parse().ok()?;
            if !allowed.contains(&a) {
                return None;
            }
            vec![a]
        }
    };
    let n = b64url_decode(k.get("n")?.as_str()?)?;
    let e = b64url_decode(k.get("e")?.as_str()?)?;
    let n = strip_zeros(&n);
    let e = strip_zeros(&e);
    let bits = bit_len(n);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return None;
    }
    // e must be odd and >= 3 (RFC 8017 §3.1); e = 1 would make every "signature" valid.
    if e.is_empty() || e.len() > 8 || e[e.len() - 1] & 1 == 0 || (e.len() == 1 && e[0] < 3) {
        return None;
    }
    let comps = RsaPublicKeyComponents { n, e };
    let parsed: Vec<(Algorithm, ParsedPublicKey)> = algs
        .into_iter()
        .filter_map(|a| comps.to_parsed_public_key(a.params()).ok().map(|p| (a, p)))
        .collect();
    if parsed.is_empty() {
        return None;
    }
    let mut fingerprint = n.to_vec();
    fingerprint.extend_from_slice(e);
    Some(KeyEntry {
        kid,
        fingerprint,
        parsed,
    })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

fn bit_len(n: &[u8]) -> usize {
    match n.first() {
        None => 0,
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

pub(crate) fn build_client(
    timeout: Duration,
    extra_ca: Option<&[u8]>,
    insecure_http: bool,
) -> Result<reqwest::Client, super::options::ConfigError> {
    use super::options::ConfigError;
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A redirect could move the JWKS to another origin (KEY-16): never follow.
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!insecure_http)
        .user_agent(concat!("protected-api/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = extra_ca {
        let certs =
            reqwest::Certificate::from_pem_bundle(pem).map_err(|_| ConfigError::InvalidCa)?;
        if certs.is_empty() {
            return Err(ConfigError::InvalidCa);
        }
        b = b.tls_certs_merge(certs);
    }
    b.build().map_err(ConfigError::HttpClient)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        assert_eq!(max_age("public, max-age=60"), Some(60.0));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=x"), None);
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(strip_zeros(&[0, 0, 1]), &[1]);
    }
}
