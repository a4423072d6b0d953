//! The verifier: the request path as one straight line.
//!
//! `Authorization` (+ `DPoP`) -> structure and alg policy -> issuer allow-list -> discovery
//! and JWKS (cached) -> signature -> claims -> DPoP proof -> nonce -> `cnf.jkt` binding ->
//! replay store -> claims to the handler.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use crate::bearer::{
    Credentials, RequestContext, RequestView, blame_header, named_scheme, parse_authorization,
    query_has_access_token,
};
use crate::claims::{self, Claims};
use crate::clock::{Clock, unix_secs};
use crate::dpop::nonce::NonceIssuer;
use crate::dpop::replay::{InMemoryReplayStore, ReplayStore, ReplayStoreError};
use crate::dpop::{self, ProofRules};
use crate::error::{AuthError, AuthRejection, ConfigError};
use crate::host::Authority;
use crate::jose::{Algorithm, sha256_b64url};
use crate::jwks::{KeyCache, KeyCacheConfig, Stats};
use crate::log_every::LogEvery;
use crate::mutant::{Mutant, Switch};
use crate::options::{DomainResolver, TokenProfile, VerifierOptions, validate_domain};
use crate::reason::{ProofError, RequestError, TokenError};
use crate::resource_metadata::{self, Published};
use crate::scheme::{DpopMode, Scheme};
use crate::signing_secret::{MIN_SECRET_LEN, SigningSecret};
use crate::token_cache::TokenCache;

mod token;

/// At most one log line per this interval for a replay-store outage or a full store.
const REPLAY_LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Longest access token accepted (bytes).
const MAX_TOKEN_LEN: usize = 12 * 1024;

/// Refuses a token whose signature has not been verified, logging why (with its `kid`,
/// never the token).
fn refuse_unverified(reason: TokenError, kid: Option<&str>) -> AuthError {
    tracing::info!(
        %reason,
        kid,
        "token refused before its signature was verified"
    );
    AuthError::InvalidToken(reason)
}

/// A successfully authenticated request.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The verified access-token claims.
    pub claims: Claims,
    /// The scheme the request used.
    pub scheme: Scheme,
    /// The `DPoP-Nonce` to send on the response, when server nonces are on.
    pub nonce: Option<String>,
}

impl Verified {
    /// 403 `insufficient_scope` unless the token carries `scope` (exact token match).
    pub fn require_scope(&self, scope: &str) -> Result<(), AuthError> {
        if self.claims.has_scope(scope) {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope {
                scope: scope.to_owned(),
            })
        }
    }
}

/// Verifies Auth0 access tokens and DPoP proofs. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("domains", &self.inner.domains)
            .field("audience", &self.inner.audience)
            .field("dpop_mode", &self.inner.mode)
            .finish_non_exhaustive()
    }
}

struct Inner {
    domains: Vec<String>,
    resolver: Option<DomainResolver>,
    audience: String,
    mode: DpopMode,
    profile: TokenProfile,
    algorithms: Vec<Algorithm>,
    /// The HS256 key, set exactly when `algorithms` lists HS256.
    secret: Option<SigningSecret>,
    /// Claims every token must carry ([`VerifierOptions::required_claims`]).
    required_claims: Box<[String]>,
    leeway: f64,
    proof_rules: ProofRules,
    nonces: Option<NonceIssuer>,
    replay: Arc<dyn ReplayStore>,
    /// One `error` line per interval while the replay store is down, not one per request.
    replay_outage_log: LogEvery,
    /// One `warn` line per interval while the replay store refuses proofs for lack of room.
    replay_full_log: LogEvery,
    clock: Arc<dyn Clock>,
    keys: KeyCache,
    tokens: Arc<TokenCache>,
    public_base_url: Option<String>,
    allowed_hosts: Vec<Authority>,
    /// RFC 9728 metadata, when published; its URL goes on every 401 challenge.
    resource_metadata: Option<Arc<Published>>,
    resource_metadata_url: Option<Arc<str>>,
    /// Tests only: the check a mutant verifier skips (see `mutant`); never off in a release.
    switch: Switch,
}

impl Verifier {
    /// Validate the options and build the verifier (no network access happens here).
    pub fn new(opts: VerifierOptions) -> Result<Self, ConfigError> {
        if opts.audience.trim().is_empty() {
            return Err(ConfigError::MissingAudience);
        }
        if opts.domains.is_empty() && opts.resolver.is_none() {
            return Err(ConfigError::MissingDomain);
        }
        let domains = opts
            .domains
            .iter()
            .map(|d| validate_domain(d))
            .collect::<Result<Vec<_>, _>>()?;
        if opts.cache_max_entries < 2 {
            return Err(ConfigError::InvalidCacheSize {
                setting: "cache_max_entries",
                min: 2,
            });
        }
        let (algorithms, secret) = algorithm_policy(&opts)?;
        if opts.dpop_iat_window.is_zero() {
            return Err(ConfigError::ZeroDuration("dpop_iat_window"));
        }
        if opts.dpop_iat_window > VerifierOptions::MAX_DPOP_IAT_WINDOW {
            return Err(ConfigError::DurationTooLong {
                setting: "dpop_iat_window",
                max: VerifierOptions::MAX_DPOP_IAT_WINDOW,
            });
        }
        let client = opts.trust.client("http_timeout")?;
        let public_base_url = match &opts.public_base_url {
            None => None,
            Some(raw) => {
                let bad = || ConfigError::InvalidPublicBaseUrl(raw.clone());
                let u = url::Url::parse(raw).map_err(|_| bad())?;
                if !matches!(u.scheme(), "http" | "https")
                    || u.query().is_some()
                    || u.fragment().is_some()
                    || u.host_str().is_none()
                {
                    return Err(bad());
                }
                Some(raw.trim_end_matches('/').to_owned())
            }
        };
        let allowed_hosts = opts
            .allowed_hosts
            .iter()
            .map(|h| {
                Authority::parse(h.trim()).map_err(|reason| ConfigError::InvalidAllowedHost {
                    host: h.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let resource_metadata = opts
            .resource_metadata
            .as_ref()
            .map(|m| resource_metadata::publish(m, &domains, opts.dpop_mode))
            .transpose()?;
        let resource_metadata_url = resource_metadata.as_ref().map(|p| Arc::from(p.url()));
        let nonces = if opts.dpop_nonces {
            Some(
                NonceIssuer::new(opts.dpop_nonce_rotation.as_secs_f64())
                    .map_err(|_| ConfigError::ZeroDuration("dpop_nonce_rotation"))?,
            )
        } else {
            None
        };
        let tokens = Arc::new(TokenCache::new(opts.token_cache_max_entries));
        // A refresh that removes a key drops every cached token (see `jwks`): the token cache
        // is told through this hook, so the key cache does not depend on it.
        let on_key_removed = {
            let tokens = tokens.clone();
            Box::new(move || tokens.clear())
        };
        let keys = KeyCache::new(
            KeyCacheConfig {
                client,
                cache_ttl: opts.cache_ttl.as_secs_f64(),
                max_tenants: opts.cache_max_entries,
                cooldown: opts.jwks_refresh_cooldown.as_secs_f64(),
                max_stale: opts.jwks_max_stale.as_secs_f64(),
                max_bytes: opts.max_metadata_bytes,
                allowed_algorithms: algorithms.clone(),
                switch: opts.switch,
            },
            on_key_removed,
        );
        // The default store reads the verifier's clock: it is given expiry times on it.
        let replay = opts.replay_store.clone().unwrap_or_else(|| {
            Arc::new(InMemoryReplayStore::with_clock(
                InMemoryReplayStore::DEFAULT_CAPACITY,
                opts.clock.clone(),
            ))
        });
        Ok(Self {
            inner: Arc::new(Inner {
                domains,
                resolver: opts.resolver.clone(),
                audience: opts.audience.clone(),
                mode: opts.dpop_mode,
                profile: opts.profile,
                algorithms,
                secret,
                required_claims: opts.required_claims.clone().into(),
                leeway: opts.clock_leeway.as_secs_f64(),
                proof_rules: ProofRules::new(
                    opts.dpop_iat_window,
                    opts.dpop_iat_leeway,
                    opts.clock_leeway,
                    opts.switch,
                ),
                nonces,
                replay,
                replay_outage_log: LogEvery::new(REPLAY_LOG_INTERVAL),
                replay_full_log: LogEvery::new(REPLAY_LOG_INTERVAL),
                clock: opts.clock.clone(),
                keys,
                tokens,
                public_base_url,
                allowed_hosts,
                resource_metadata,
                resource_metadata_url,
                switch: opts.switch,
            }),
        })
    }

    /// The configured DPoP mode.
    pub fn dpop_mode(&self) -> DpopMode {
        self.inner.mode
    }

    /// The configured public base URL (no trailing slash), if any.
    pub fn public_base_url(&self) -> Option<&str> {
        self.inner.public_base_url.as_deref()
    }

    /// The configured allowed hosts (empty: any well-formed `Host`).
    pub fn allowed_hosts(&self) -> &[Authority] {
        &self.inner.allowed_hosts
    }

    /// The RFC 9728 metadata this verifier publishes, if configured
    /// ([`VerifierOptions::resource_metadata`]).
    pub fn resource_metadata(&self) -> Option<&Published> {
        self.inner.resource_metadata.as_deref()
    }

    /// Tests only: the check this verifier has switched off (see `mutant`); the axum glue's
    /// scope check reads it.
    #[cfg(feature = "axum")]
    pub(crate) fn switch(&self) -> Switch {
        self.inner.switch
    }

    /// Fetch and cache counters.
    pub fn stats(&self) -> Stats {
        let c = self.inner.keys.counters();
        Stats {
            discovery_fetches: c.discovery_fetches.load(Ordering::Relaxed),
            jwks_fetches: c.jwks_fetches.load(Ordering::Relaxed),
            token_cache_hits: c.token_cache_hits.get(),
        }
    }

    /// Tests: wait until no background key refresh is in flight.
    #[cfg(test)]
    pub(crate) async fn refreshes_settled(&self) {
        self.inner.keys.refreshes_settled().await;
    }

    /// Tests: the verified-token cache.
    #[cfg(test)]
    pub(crate) fn token_cache(&self) -> &TokenCache {
        &self.inner.tokens
    }

    /// Tests: the key state this verifier keeps for a tenant it has fetched from.
    #[cfg(test)]
    pub(crate) fn tenant_state(&self, domain: &str) -> Option<Arc<crate::jwks::Tenant>> {
        self.inner.keys.existing_tenant(domain)
    }

    /// A rejection carrying this verifier's mode (for building responses).
    pub fn reject(&self, error: AuthError, scheme: Option<Scheme>) -> AuthRejection {
        let sw = self.inner.switch;
        let scheme = scheme.filter(|_| !sw.off(Mutant::ChallengeScheme));
        let error = match error {
            AuthError::MissingCredentials | AuthError::UnsupportedScheme
                if sw.off(Mutant::NoCredentialsError) =>
            {
                AuthError::InvalidRequest(RequestError::MissingToken)
            }
            e => e,
        };
        let rejection = AuthRejection::new(error, self.inner.mode, scheme);
        match &self.inner.resource_metadata_url {
            Some(url) => rejection.with_resource_metadata(url.clone()),
            None => rejection,
        }
    }

    /// Verify an access token alone (no scheme rules, no DPoP). `required_claims` must all be
    /// present. With a domain resolver, it is called with [`RequestContext::empty`].
    pub async fn verify_access_token(
        &self,
        token: &str,
        required_claims: &[&str],
    ) -> Result<Claims, AuthError> {
        self.verify_token(token, required_claims, &RequestContext::empty())
            .await
    }

    /// Synchronous entry point for non-async callers. Inside a Tokio runtime it returns
    /// [`AuthError::BlockingInsideRuntime`] instead of panicking.
    pub fn blocking_verify_access_token(
        &self,
        token: &str,
        required_claims: &[&str],
    ) -> Result<Claims, AuthError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(AuthError::BlockingInsideRuntime);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "could not build a runtime");
                AuthError::Internal
            })?;
        rt.block_on(self.verify_access_token(token, required_claims))
    }

    /// Authenticate a request: `Authorization` (+ `DPoP`) parsed and dispatched per the DPoP
    /// mode, with the options' required claims. The error is an [`AuthRejection`]: the
    /// [`AuthError`] (`.error`) with the scheme the request used and the verifier's mode, which
    /// is what its challenge depends on; [`AuthRejection::to_parts`] is the HTTP answer.
    pub async fn verify_request(&self, req: &RequestContext) -> Result<Verified, AuthRejection> {
        self.authenticate_view(req, &[]).await
    }

    /// The options' required claims, then the call's or the route's.
    fn check_required(
        &self,
        claims: &serde_json::Map<String, Value>,
        per_call: &[&str],
    ) -> Result<(), AuthError> {
        claims::check_required(claims, &self.inner.required_claims)?;
        claims::check_required(claims, per_call)
    }

    pub(crate) async fn authenticate_view(
        &self,
        req: &dyn RequestView,
        required_claims: &[&str],
    ) -> Result<Verified, AuthRejection> {
        let creds = parse_authorization(req.headers(), self.inner.switch).map_err(|e| {
            let named = named_scheme(req.headers());
            // A scheme this mode does not accept is answered as unsupported whatever follows it
            // (RFC 6750 §3.1: no error code), as `Basic` is.
            let e = match (self.inner.mode, named) {
                (DpopMode::Disabled, Some(Scheme::DPoP)) => AuthError::UnsupportedScheme,
                (DpopMode::Required, Some(Scheme::Bearer)) => AuthError::DpopRequired,
                _ => e,
            };
            self.reject(e, named)
        })?;
        if query_has_access_token(req.query()) && !self.inner.switch.off(Mutant::QueryToken) {
            let e = AuthError::InvalidRequest(RequestError::MultipleMethods);
            return Err(self.reject(e, None));
        }
        let scheme = creds.scheme;
        self.dispatch(req, creds, required_claims)
            .await
            .map_err(|e| {
                tracing::debug!(?scheme, error = %e, "request rejected");
                self.reject(e, Some(scheme))
            })
    }

    async fn dispatch(
        &self,
        req: &dyn RequestView,
        creds: Credentials<'_>,
        required_claims: &[&str],
    ) -> Result<Verified, AuthError> {
        let Credentials {
            scheme,
            token,
            proof,
        } = creds;
        let mode = self.inner.mode;
        match (mode, scheme) {
            (DpopMode::Disabled, Scheme::DPoP) => Err(AuthError::UnsupportedScheme),
            (DpopMode::Required, Scheme::Bearer) => Err(AuthError::DpopRequired),
            (_, Scheme::Bearer) => {
                let claims = self
                    .verify_token(token, required_claims, req)
                    .await
                    .map_err(|e| blame_header(e, token))?;
                // RFC 9449 §7.2: a DPoP-bound token is never a bearer token (also when DPoP
                // is disabled: we know what `cnf.jkt` means).
                if claims.cnf_jkt().is_some() && !self.inner.switch.off(Mutant::BoundAsBearer) {
                    return Err(AuthError::InvalidToken(TokenError::BoundTokenAsBearer));
                }
                if mode == DpopMode::Allowed && proof.is_present() {
                    return Err(AuthError::InvalidRequest(
                        RequestError::ProofWithBearerScheme,
                    ));
                }
                Ok(Verified {
                    claims,
                    scheme,
                    nonce: None,
                })
            }
            (_, Scheme::DPoP) => {
                let proof = proof
                    .single()?
                    .ok_or(AuthError::InvalidDpopProof(ProofError::MissingProof))?;
                let claims = self
                    .verify_token(token, required_claims, req)
                    .await
                    .map_err(|e| blame_header(e, token))?;
                let bound = claims.cnf_jkt();
                if bound.is_none() && !self.inner.switch.off(Mutant::UnboundDpop) {
                    return Err(AuthError::InvalidToken(TokenError::NotBound));
                }
                let now = unix_secs(&*self.inner.clock);
                let p = dpop::verify_proof(
                    proof,
                    req.method().as_str(),
                    &req.url(),
                    token,
                    &self.inner.proof_rules,
                    now,
                )?;
                let nonce = match &self.inner.nonces {
                    None => None,
                    Some(issuer) => {
                        let current = issuer.current(now);
                        if !p.nonce.as_deref().is_some_and(|n| issuer.is_valid(n, now)) {
                            return Err(AuthError::UseDpopNonce { nonce: current });
                        }
                        Some(current)
                    }
                };
                if bound.is_some_and(|jkt| p.jkt != jkt) && !self.inner.switch.off(Mutant::Jkt) {
                    return Err(AuthError::InvalidToken(TokenError::InvalidKeyBinding));
                }
                self.check_replay(&p, now).await?;
                Ok(Verified {
                    claims,
                    scheme,
                    nonce,
                })
            }
        }
    }

    /// Records the proof in the replay store; refuses it if seen before or if the store has
    /// no room for it (never accepted unrecorded: fail closed).
    async fn check_replay(&self, p: &dpop::ValidProof, now: f64) -> Result<(), AuthError> {
        let inner = &self.inner;
        // Keyed by a hash of (key, jti): fixed size whatever the jti length, and two clients
        // may pick the same jti (RPN-13).
        let key = sha256_b64url(format!("{}\n{}", p.jkt, p.jti).as_bytes());
        // Remembered for as long as a proof with this iat could be accepted.
        let expires_at = crate::clock::time_at(inner.proof_rules.retention_end(p.iat));
        let fresh = inner
            .replay
            .check_and_insert_for(&p.jkt, &key, expires_at)
            .await
            .map_err(|e| self.replay_store_refusal(e, &p.jkt, now))?;
        if !fresh && !inner.switch.off(Mutant::Replay) {
            // The jkt names the client whose proof was replayed; never the token or proof.
            tracing::info!(jkt = %p.jkt, "DPoP proof refused: replayed");
            return Err(AuthError::InvalidDpopProof(ProofError::Replayed));
        }
        Ok(())
    }

    /// The refusal for a replay-store error, logged at most once per interval per kind.
    fn replay_store_refusal(&self, e: ReplayStoreError, jkt: &str, now: f64) -> AuthError {
        let inner = &self.inner;
        let secs = |d: std::time::Duration| d.as_secs().max(1);
        match e {
            ReplayStoreError::ClientOverQuota { retry_after } => {
                if let Some(suppressed) = inner.replay_full_log.ready(now) {
                    tracing::warn!(
                        jkt,
                        suppressed,
                        "DPoP proofs refused (429): this key holds its whole share of the replay store"
                    );
                }
                AuthError::DpopKeyOverQuota {
                    retry_after: secs(retry_after),
                }
            }
            ReplayStoreError::Full { retry_after } => {
                if let Some(suppressed) = inner.replay_full_log.ready(now) {
                    tracing::warn!(
                        jkt,
                        suppressed,
                        "DPoP proofs refused (503): the replay store is full of live entries; \
                         raise its capacity above the peak proofs per window"
                    );
                }
                AuthError::ReplayStoreFull {
                    retry_after: secs(retry_after),
                }
            }
            // Fail closed: an unchecked proof could be a replay. The cause is for the
            // operator only.
            e => {
                if let Some(suppressed) = inner.replay_outage_log.ready(now) {
                    let cause = std::error::Error::source(&e).map(ToString::to_string);
                    tracing::error!(
                        error = %e,
                        cause,
                        suppressed,
                        "DPoP proofs refused (503): replay store unavailable"
                    );
                }
                AuthError::ReplayStoreUnavailable
            }
        }
    }
}

/// The algorithms allowed and the HS256 key: `[RS256]` by default, `[HS256]` with a secret;
/// HS256 allowed exactly when a secret (of Auth0's minimum length) is set.
fn algorithm_policy(
    opts: &VerifierOptions,
) -> Result<(Vec<Algorithm>, Option<SigningSecret>), ConfigError> {
    let secret = opts.signing_secret.as_deref();
    let algorithms = match (&opts.allowed_algorithms, secret) {
        (Some(algs), _) => algs.clone(),
        (None, Some(_)) => vec![Algorithm::HS256],
        (None, None) => vec![Algorithm::RS256],
    };
    if algorithms.is_empty() {
        return Err(ConfigError::NoAlgorithms);
    }
    match (algorithms.contains(&Algorithm::HS256), secret) {
        (true, None) => Err(ConfigError::MissingSigningSecret),
        (false, Some(_)) => Err(ConfigError::UnusedSigningSecret),
        (true, Some(s)) if s.len() < MIN_SECRET_LEN => Err(ConfigError::SigningSecretTooShort {
            min: MIN_SECRET_LEN,
        }),
        (_, s) => Ok((algorithms, s.map(SigningSecret::new))),
    }
}
