//! Verifier configuration: [`VerifierOptions`], a consuming builder in the style of
//! openidconnect-rs, with [`TokenProfile`] and [`DomainResolver`] ([`ConfigError`], what makes
//! options unusable, lives with the other errors). The policy types it takes live with what they govern:
//! [`Algorithm`] beside JWS parsing, [`DpopMode`] beside the schemes, [`Clock`] on its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::bearer::RequestContext;
use crate::clock::{Clock, SystemClock};
use crate::dpop::replay::ReplayStore;
use crate::error::ConfigError;
use crate::http_trust::HttpTrust;
use crate::jose::Algorithm;
use crate::resource_metadata::ResourceMetadata;
use crate::scheme::DpopMode;

/// Which access-token dialect is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenProfile {
    /// Auth0's default `access_token` dialect: `typ` may be `JWT`, absent or `at+jwt`;
    /// `client_id`, `jti` and `sub` are not required.
    #[default]
    Auth0Compat,
    /// RFC 9068 §4 fully enforced: `typ` must be `at+jwt` (or `application/at+jwt`, any case),
    /// and `sub`, `client_id`, `jti` are required.
    Rfc9068Strict,
}

/// Given the request and the unverified `iss`, the domains allowed for this request.
pub type DomainResolver = Arc<dyn Fn(&RequestContext, &str) -> Vec<String> + Send + Sync>;

/// Options for [`Verifier`](crate::Verifier). Consuming builder; every setting has a documented default.
#[derive(Clone)]
#[must_use = "a builder does nothing until it is used"]
pub struct VerifierOptions {
    pub(crate) domains: Vec<String>,
    pub(crate) resolver: Option<DomainResolver>,
    pub(crate) audience: String,
    pub(crate) dpop_mode: DpopMode,
    pub(crate) dpop_iat_leeway: Duration,
    pub(crate) dpop_iat_window: Duration,
    pub(crate) dpop_nonces: bool,
    pub(crate) dpop_nonce_rotation: Duration,
    pub(crate) replay_store: Option<Arc<dyn ReplayStore>>,
    pub(crate) clock_leeway: Duration,
    pub(crate) cache_ttl: Duration,
    pub(crate) cache_max_entries: usize,
    pub(crate) token_cache_max_entries: usize,
    pub(crate) jwks_refresh_cooldown: Duration,
    pub(crate) jwks_max_stale: Duration,
    /// `None`: `[RS256]`, or `[HS256]` with a signing secret.
    pub(crate) allowed_algorithms: Option<Vec<Algorithm>>,
    pub(crate) signing_secret: Option<Vec<u8>>,
    pub(crate) required_claims: Vec<String>,
    pub(crate) profile: TokenProfile,
    pub(crate) trust: HttpTrust,
    pub(crate) max_metadata_bytes: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) public_base_url: Option<String>,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) resource_metadata: Option<ResourceMetadata>,
    pub(crate) switch: crate::mutant::Switch,
}

impl std::fmt::Debug for VerifierOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierOptions")
            .field("domains", &self.domains)
            .field("resolver", &self.resolver.is_some())
            .field("audience", &self.audience)
            .field("dpop_mode", &self.dpop_mode)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl VerifierOptions {
    /// Default of [`VerifierOptions::dpop_iat_window`]: a proof `iat` may be 60 s old.
    pub const DEFAULT_DPOP_IAT_WINDOW: Duration = Duration::from_secs(60);
    /// Default of [`VerifierOptions::dpop_iat_leeway`]: a proof `iat` may be 10 s ahead. Not
    /// less: FAPI 2.0 (OpenID Foundation) asks servers to accept proofs up to 10 s ahead, and
    /// the conformance catalog's DPP-30 (level S) checks it.
    pub const DEFAULT_DPOP_IAT_LEEWAY: Duration = Duration::from_secs(10);
    /// Longest [`VerifierOptions::dpop_iat_window`]: a longer one is no longer "relatively
    /// brief" (RFC 9449 §11.1), and the replay store must hold every proof for that long.
    pub const MAX_DPOP_IAT_WINDOW: Duration = Duration::from_secs(3600);
    /// Default of [`VerifierOptions::jwks_max_stale`]: 24 h (Auth0's `stale-if-error`).
    pub const DEFAULT_JWKS_MAX_STALE: Duration = Duration::from_secs(24 * 3600);

    /// One tenant: tokens must carry `iss == "https://{domain}/"` exactly.
    pub fn new(domain: impl Into<String>, audience: impl Into<String>) -> Self {
        Self::base(vec![domain.into()], audience.into())
    }

    /// Multiple custom domains: a static allow-list checked before any network call.
    pub fn with_domains(domains: Vec<String>, audience: impl Into<String>) -> Self {
        Self::base(domains, audience.into())
    }

    fn base(domains: Vec<String>, audience: String) -> Self {
        Self {
            domains,
            resolver: None,
            audience,
            dpop_mode: DpopMode::Allowed,
            dpop_iat_leeway: Self::DEFAULT_DPOP_IAT_LEEWAY,
            dpop_iat_window: Self::DEFAULT_DPOP_IAT_WINDOW,
            dpop_nonces: false,
            dpop_nonce_rotation: Duration::from_secs(300),
            replay_store: None,
            clock_leeway: Duration::ZERO,
            cache_ttl: Duration::from_secs(600),
            cache_max_entries: 100,
            token_cache_max_entries: 10_000,
            jwks_refresh_cooldown: Duration::from_secs(30),
            jwks_max_stale: Self::DEFAULT_JWKS_MAX_STALE,
            allowed_algorithms: None,
            signing_secret: None,
            required_claims: Vec::new(),
            profile: TokenProfile::Auth0Compat,
            trust: HttpTrust::new(),
            max_metadata_bytes: 512 * 1024,
            clock: Arc::new(SystemClock),
            public_base_url: None,
            allowed_hosts: Vec::new(),
            resource_metadata: None,
            switch: crate::mutant::Switch::default(),
        }
    }

    /// Per-request allow-list: called with the request and the UNVERIFIED `iss`; returns the
    /// domains allowed for it. Replaces the static list when set. `verify_access_token` calls
    /// it with an empty [`RequestContext`].
    pub fn domain_resolver(mut self, resolver: DomainResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
    /// Default [`DpopMode::Allowed`].
    pub fn dpop_mode(mut self, mode: DpopMode) -> Self {
        self.dpop_mode = mode;
        self
    }
    /// How far in the future a proof `iat` may be (client clock ahead of ours), on top of
    /// [`VerifierOptions::clock_leeway`]. Default 10 s (auth0-api-python: 30 s).
    pub fn dpop_iat_leeway(mut self, d: Duration) -> Self {
        self.dpop_iat_leeway = d;
        self
    }
    /// How old a proof `iat` may be, on top of [`VerifierOptions::clock_leeway`]. Default 60 s
    /// (auth0-api-python: 300 s): RFC 9449 §11.1 asks for a "relatively brief" window, and
    /// every proof accepted inside it is remembered by the replay store for as long as it
    /// could be accepted (window + leeway), so a shorter window also means a smaller store.
    /// Between 1 s and 1 h.
    pub fn dpop_iat_window(mut self, d: Duration) -> Self {
        self.dpop_iat_window = d;
        self
    }
    /// Require server-issued DPoP nonces (RFC 9449 §8-9). Default off.
    pub fn dpop_nonces(mut self, on: bool) -> Self {
        self.dpop_nonces = on;
        self
    }
    /// Nonce rotation period; the current and the previous nonce are accepted. Default 300 s.
    pub fn dpop_nonce_rotation(mut self, d: Duration) -> Self {
        self.dpop_nonce_rotation = d;
        self
    }
    /// Where proof `jti`s are remembered. Default: an
    /// [`InMemoryReplayStore`](crate::replay::InMemoryReplayStore) of
    /// [`InMemoryReplayStore::DEFAULT_CAPACITY`](crate::replay::InMemoryReplayStore::DEFAULT_CAPACITY) entries (32 MiB at most, one DPoP key at most a
    /// tenth of it) on the verifier's clock. Each proof is kept until the `iat` window
    /// (plus leeways) has passed for it. A store of your own must read the verifier's clock
    /// ([`InMemoryReplayStore::with_clock`](crate::replay::InMemoryReplayStore::with_clock)): it is given expiry times on that clock.
    pub fn replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay_store = Some(store);
        self
    }
    /// Leeway for `exp`/`nbf`. Default 0 s: parity with auth0-api-python (`now < exp`).
    pub fn clock_leeway(mut self, d: Duration) -> Self {
        self.clock_leeway = d;
        self
    }
    /// Upper bound for discovery/JWKS caching (lowered by `Cache-Control: max-age`, but never
    /// below [`VerifierOptions::jwks_refresh_cooldown`]). Default 600 s.
    pub fn cache_ttl(mut self, d: Duration) -> Self {
        self.cache_ttl = d;
        self
    }
    /// Maximum number of tenants whose metadata is cached. Default 100, minimum 2.
    pub fn cache_max_entries(mut self, n: usize) -> Self {
        self.cache_max_entries = n;
        self
    }
    /// Maximum number of verified tokens remembered (the hot-path cache). Default 10 000;
    /// 0 disables the cache.
    pub fn token_cache_max_entries(mut self, n: usize) -> Self {
        self.token_cache_max_entries = n;
        self
    }
    /// Minimum time between two discovery/JWKS refreshes of a tenant, whatever causes them
    /// (expired keys, an unknown `kid`, retries while the tenant is down). Also the floor of
    /// the cache TTL. Default 30 s.
    pub fn jwks_refresh_cooldown(mut self, d: Duration) -> Self {
        self.jwks_refresh_cooldown = d;
        self
    }
    /// Stale-if-error bound: how long past their expiry cached keys keep verifying tokens
    /// while the tenant cannot be reached. After that every token of the tenant is refused
    /// (401 `invalid_token`, logged at `error`) until a refresh succeeds. Default 24 h
    /// (Auth0's `stale-if-error=86400`); zero serves no stale keys at all.
    pub fn jwks_max_stale(mut self, d: Duration) -> Self {
        self.jwks_max_stale = d;
        self
    }
    /// Claims every token must carry, on every entry point (e.g. `["email_verified", "org_id"]`):
    /// 401 `invalid_token` "Missing required claim" without one. Per-call required claims of
    /// [`Verifier::verify_access_token`](crate::Verifier::verify_access_token) and per-route ones
    /// of [`AuthLayer::required_claims`](crate::AuthLayer::required_claims) add to these.
    pub fn required_claims(mut self, claims: &[&str]) -> Self {
        self.required_claims = claims.iter().map(|c| (*c).to_owned()).collect();
        self
    }
    /// Access-token algorithms accepted. Default `[RS256]`, or `[HS256]` with a
    /// [`VerifierOptions::signing_secret`]. An API Auth0 signs with RS512 or PS256 lists that
    /// one; HS256 here needs the secret, and a secret needs HS256 here.
    pub fn allowed_algorithms(mut self, algs: Vec<Algorithm>) -> Self {
        self.allowed_algorithms = Some(algs);
        self
    }
    /// The API's signing secret (Auth0's `signing_secret`, as its UTF-8 bytes) for an API
    /// whose tokens Auth0 signs with HS256: HS256 tokens are then checked with it (constant
    /// time), and RS256 tokens refused unless [`VerifierOptions::allowed_algorithms`] lists
    /// RS256 too. At least 16 bytes (Auth0's minimum). Without it every HS* token is refused
    /// before any other check, whatever key it claims (no RS→HS confusion).
    pub fn signing_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.signing_secret = Some(secret.into());
        self
    }
    /// Default [`TokenProfile::Auth0Compat`].
    pub fn profile(mut self, p: TokenProfile) -> Self {
        self.profile = p;
        self
    }
    /// An extra CA (PEM file, read when the verifier is built) trusted for the tenant's
    /// HTTPS, beside the platform roots. Replaces an earlier `ca_file` or `ca_pem`.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.trust.set_ca_file(path.into());
        self
    }
    /// An extra CA (PEM bytes) trusted for the tenant's HTTPS, beside the platform roots.
    /// Replaces an earlier `ca_file` or `ca_pem`.
    pub fn ca_pem(mut self, pem: Vec<u8>) -> Self {
        self.trust.set_ca_pem(pem);
        self
    }
    /// Total timeout of each discovery/JWKS fetch. Default 10 s.
    pub fn http_timeout(mut self, d: Duration) -> Self {
        self.trust.set_timeout(d);
        self
    }
    /// Largest discovery/JWKS body accepted. Default 512 KiB.
    pub fn max_metadata_bytes(mut self, n: usize) -> Self {
        self.max_metadata_bytes = n;
        self
    }
    /// Time source. Default [`SystemClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Tests only (feature `mutants`): switch one check off, making a deliberately broken
    /// verifier for the conformance suite's mutant table. Default [`Mutant::None`](crate::Mutant::None):
    /// the verifier as released.
    #[cfg(feature = "mutants")]
    pub fn mutant(mut self, mutant: crate::Mutant) -> Self {
        self.switch = crate::mutant::Switch { mutant };
        self
    }
    /// The public origin of this API (`https://api.example.com`), used by the axum glue to
    /// build the request URL compared with the proof `htu` (with the request's original path,
    /// also under `Router::nest`). Without it the URL is `http://{Host}{path}`, the `Host`
    /// accepted only as a bare `host[:port]` (400 `invalid_request` otherwise): a client then
    /// chooses the authority its proof is compared with, so set this or
    /// [`VerifierOptions::allowed_hosts`] in production (and this one behind TLS or a proxy).
    pub fn public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = Some(url.into());
        self
    }
    /// The `Host` values (`host[:port]`, compared case-insensitively for the host and exactly
    /// for the port) this API answers authenticated requests for. Any other `Host`, or an
    /// absolute-form request target naming another authority, gets 421 Misdirected Request
    /// (RFC 9110 §15.5.20) before any token is looked at, from the axum glue (the layer and
    /// the extractors); public routes are not affected. Default: empty, any well-formed `Host`
    /// is accepted, and without [`VerifierOptions::public_base_url`] the DPoP `htu` is then
    /// compared with a URL built from it: set one of the two in production.
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }
    /// Publish RFC 9728 protected-resource metadata (see [`crate::resource_metadata`]): every
    /// 401 challenge then carries `resource_metadata="…"`, and
    /// [`resource_metadata::router`](crate::resource_metadata::router) serves the document.
    /// Default: none.
    pub fn resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        self.resource_metadata = Some(metadata);
        self
    }
}

/// `host[:port]`, lower-cased. Anything with a scheme, path, userinfo, query or whitespace
/// is refused so that `https://{domain}/` is a well-formed issuer.
pub(crate) fn validate_domain(raw: &str) -> Result<String, ConfigError> {
    let bad = |reason| ConfigError::InvalidDomain {
        domain: raw.to_owned(),
        reason,
    };
    if raw.is_empty() {
        return Err(bad("empty"));
    }
    if raw.contains("://") {
        return Err(bad("give the host only, without a scheme"));
    }
    if raw.contains(['/', '?', '#']) {
        return Err(bad("give the host only, without a path"));
    }
    if raw.contains('@') {
        return Err(bad("userinfo is not allowed"));
    }
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(bad("whitespace, control or non-ASCII characters"));
    }
    let parsed = url::Url::parse(&format!("https://{raw}/")).map_err(|_| bad("not a host"))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("not a host"));
    }
    Ok(raw.to_ascii_lowercase())
}
