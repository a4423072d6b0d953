//! `MockTenant`: a mock Auth0 tenant started in-process, the way wiremock's `MockServer` is.
//!
//! The server runs on its own thread and Tokio runtime, so a tenant works under any test
//! runtime (or none), and many tenants in one process share nothing. Dropping the handle stops
//! the server.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::clock::Clock;
use crate::config::TenantConfig;
use crate::http::{discovery, router};
use crate::keys::KeyRing;
use crate::mint::token::{MintContext, TokenBuilder};
use crate::tenant::actions::{ActionDenial, Actions, ExchangeDecision, ExchangeRequest};
use crate::tenant::domains::Domains;
use crate::tenant::faults::{Endpoint, Fault, When};
use crate::tenant::journal::RecordedRequest;
use crate::tenant::state::TenantState;
use crate::tenant::state_dir::{StateDir, StateError};
use crate::tenant::tls::{TlsError, TlsMaterial};

pub(crate) mod user_login;

/// Why a tenant could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Binding the listen address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Requested address and port.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The state directory is unusable.
    #[error(transparent)]
    State(#[from] StateError),
    /// TLS material is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// `auto_login` names a user the configuration does not have.
    #[error("auto-login: no user `{0}` in the tenant configuration")]
    UnknownUser(String),
}

/// Configures a tenant before it starts.
#[derive(Debug, Clone)]
#[must_use]
pub struct TenantBuilder {
    config: TenantConfig,
    http: bool,
    host: Option<String>,
    bind_ip: std::net::IpAddr,
    port: u16,
    public_port: Option<u16>,
    state_dir: Option<PathBuf>,
    fixture_keys: bool,
    keys: Option<KeyRing>,
    clock: Option<Clock>,
    auto_login: Option<String>,
    access_log: bool,
    journal_credentials: bool,
    control: Control,
    actions: Actions,
}

/// Whether and how the control API is reachable.
#[derive(Debug, Clone, Default)]
enum Control {
    /// On, with a random admin secret.
    #[default]
    Random,
    /// On, with this admin secret.
    Secret(String),
    /// Off: its paths answer 404.
    Off,
}

impl Default for TenantBuilder {
    fn default() -> Self {
        TenantBuilder {
            config: TenantConfig::default(),
            http: false,
            host: None,
            bind_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            port: 0,
            public_port: None,
            state_dir: None,
            fixture_keys: true,
            keys: None,
            clock: None,
            auto_login: None,
            access_log: false,
            journal_credentials: false,
            control: Control::default(),
            actions: Actions::default(),
        }
    }
}

impl TenantBuilder {
    /// The tenant's APIs and applications (default: the quickstart).
    pub fn config(mut self, config: TenantConfig) -> Self {
        self.config = config;
        self
    }

    /// Serve plain HTTP instead of HTTPS.
    pub fn http(mut self) -> Self {
        self.http = true;
        self
    }

    /// The host name in the issuer and URLs (default `127.0.0.1`), whatever address the
    /// server listens on. The leaf certificate covers it.
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_owned());
        self
    }

    /// The address to listen on (default `127.0.0.1`), separate from the advertised host: in a
    /// container, `0.0.0.0` with the issuer still `https://localhost:8443/`.
    pub fn bind_ip(mut self, ip: std::net::IpAddr) -> Self {
        self.bind_ip = ip;
        self
    }

    /// The port (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The port in the issuer and URLs when clients reach the tenant on another port than it
    /// listens on (a container published with `-p 18443:8443`). Default: the listening port.
    pub fn public_port(mut self, port: u16) -> Self {
        self.public_port = Some(port);
        self
    }

    /// Keep keys and TLS material in this directory (restarts keep tokens valid).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// In a new state directory, generate a fresh RSA key (`false`) or store the fixed
    /// `tenant-1` fixture key (`true`, the default: tests never wait for RSA generation).
    pub fn fixture_keys(mut self, yes: bool) -> Self {
        self.fixture_keys = yes;
        self
    }

    /// Use this key ring (e.g. to share keys between two tenants).
    pub fn keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The control API's admin secret (default: a random one, see
    /// [`MockTenant::admin_secret`]).
    pub fn admin_secret(mut self, secret: &str) -> Self {
        self.control = Control::Secret(secret.to_owned());
        self
    }

    /// Turns the control API off: `/api/v2/...` and `/control/...` answer 404.
    pub fn without_control_api(mut self) -> Self {
        self.control = Control::Off;
        self
    }

    /// Print one JSON line per request on stdout (method, path, status, milliseconds).
    pub fn access_log(mut self, on: bool) -> Self {
        self.access_log = on;
        self
    }

    /// Keep credentials (passwords, client secrets, refresh tokens, codes, `Authorization`,
    /// `DPoP`, cookies) in clear in the request journal, for debugging. Off by default: the
    /// journal shows `[redacted]` in their place.
    pub fn journal_credentials(mut self, keep: bool) -> Self {
        self.journal_credentials = keep;
        self
    }

    /// Use this clock (e.g. one shared with a protected API under test).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Logs this user (by email) in at `/authorize` without showing the login form: for
    /// headless browser tests that are not about the form. `prompt=none` and existing
    /// sessions behave as usual.
    pub fn auto_login(mut self, email: &str) -> Self {
        self.auto_login = Some(email.to_owned());
        self
    }

    /// Also answer on `host` (an Auth0 custom domain, on the tenant's port): discovery, tokens
    /// and `iss` follow the request's `Host`, and the TLS leaf covers it. Use names that reach
    /// 127.0.0.1 without DNS (`localhost`), or point a client at it with reqwest's `resolve`.
    pub fn custom_domain(mut self, host: &str) -> Self {
        self.config.custom_domains.push(host.to_owned());
        self
    }

    /// Registers the closure a `validation = "action"` exchange profile names: it stands in
    /// for Auth0's Custom Token Exchange Action (see [`ExchangeAction`](crate::ExchangeAction)).
    pub fn exchange_action<F>(mut self, name: &str, action: F) -> Self
    where
        F: Fn(&ExchangeRequest) -> Result<ExchangeDecision, ActionDenial> + Send + Sync + 'static,
    {
        self.actions.0.insert(name.to_owned(), Arc::new(action));
        self
    }

    /// Binds its address (127.0.0.1 unless [`bind_ip`](Self::bind_ip)) and prepares
    /// everything, without serving yet.
    pub fn bind(self) -> Result<BoundTenant, StartError> {
        let auto_login = match &self.auto_login {
            None => None,
            Some(email) => Some(
                self.config
                    .user_by_email(email)
                    .ok_or_else(|| StartError::UnknownUser(email.clone()))?
                    .id(),
            ),
        };
        // Bound, not listening: until `serve` (or `try_start`) listens, connections are
        // refused, so whoever waits for the port finds the state directory complete.
        let listener =
            bind_socket((self.bind_ip, self.port).into()).map_err(|source| StartError::Bind {
                addr: (self.bind_ip, self.port).into(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: (self.bind_ip, self.port).into(),
                source,
            })?
            .as_socket()
            .map_or(self.port, |a| a.port());
        let port = self.public_port.unwrap_or(port);
        let host = self.host.unwrap_or_else(|| "127.0.0.1".to_owned());
        let domain = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let scheme = if self.http { "http" } else { "https" };
        let base_url = format!("{scheme}://{domain}");
        let mut names = vec![host.clone()];
        names.extend(self.config.custom_domains.iter().cloned());
        let domains = Domains::new(
            if self.http { "http" } else { "https" },
            domain.clone(),
            &self.config.custom_domains,
            port,
        );
        let (keys, tls) = match &self.state_dir {
            Some(dir) => {
                let sd = StateDir::open(dir)?;
                let keys = match self.keys {
                    Some(k) => k,
                    None => {
                        let ring = sd.load_or_init_keys(self.fixture_keys)?;
                        // Every rotation or revocation, through any face, reaches the disk.
                        let dir = sd.path().to_owned();
                        ring.on_change(Arc::new(move |current, published, retired| {
                            let saved = crate::tenant::state_dir::save_ring(
                                &dir, current, published, retired,
                            );
                            if let Err(e) = saved {
                                eprintln!("mock-idp: cannot save the signing keys: {e}");
                            }
                        }));
                        ring
                    }
                };
                (keys, sd.load_or_init_tls(&names)?)
            }
            None => (
                self.keys.unwrap_or_else(KeyRing::fixtures),
                TlsMaterial::generate(&names)?,
            ),
        };
        let issuer = format!("{base_url}/");
        let config = self
            .config
            .resolve_management_api(&issuer, !matches!(self.control, Control::Off));
        let mint = MintContext {
            issuer,
            userinfo: format!("{base_url}/userinfo"),
            clock: self.clock.unwrap_or_default(),
            keys,
            config: Arc::new(config),
        };
        let server_cfg = if self.http {
            None
        } else {
            Some(tls.server_config()?)
        };
        let state = TenantState::new(base_url, mint, domains, self.actions);
        state
            .access_log
            .store(self.access_log, std::sync::atomic::Ordering::Relaxed);
        state.journal.keep_credentials(self.journal_credentials);
        if !self.http {
            let _ = state.ca_pem.set(tls.ca_cert_pem.clone());
        }
        *state
            .admin_secret
            .write()
            .unwrap_or_else(|e| e.into_inner()) = match self.control {
            Control::Random => Some(crate::jose::random_id()),
            Control::Secret(s) => Some(s),
            Control::Off => None,
        };
        Ok(BoundTenant {
            listener,
            state: Arc::new(TenantState {
                auto_login,
                ..state
            }),
            tls: Arc::new(tls),
            server_cfg,
            domain,
        })
    }

    /// Starts the tenant on its own thread; panics (with the reason) if it cannot.
    pub fn start_blocking(self) -> MockTenant {
        match self.try_start() {
            Ok(t) => t,
            Err(e) => panic!("mock-idp: cannot start tenant: {e}"),
        }
    }

    /// Starts the tenant on its own thread.
    pub fn try_start(self) -> Result<MockTenant, StartError> {
        let bound = self.bind()?;
        // Listening before this returns: the caller connects at once.
        bound.listen().map_err(|source| StartError::Bind {
            addr: (std::net::Ipv4Addr::LOCALHOST, 0).into(),
            source,
        })?;
        let state = bound.state.clone();
        let tls = bound.tls.clone();
        let domain = bound.domain.clone();
        let local_addr = bound.local_addr().map_err(|source| StartError::Bind {
            addr: (std::net::Ipv4Addr::LOCALHOST, 0).into(),
            source,
        })?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("mock-idp {domain}"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        eprintln!("mock-idp: cannot build runtime: {e}");
                        return;
                    }
                };
                if let Err(e) = rt.block_on(bound.serve(async {
                    let _ = rx.await;
                })) {
                    eprintln!("mock-idp: server stopped: {e}");
                }
            })
            .map_err(|source| StartError::Bind {
                addr: (std::net::Ipv4Addr::LOCALHOST, 0).into(),
                source,
            })?;
        Ok(MockTenant {
            state,
            tls,
            domain,
            local_addr,
            _shutdown: tx,
        })
    }

    /// Starts the tenant (async for symmetry with wiremock; the work is synchronous).
    pub async fn start(self) -> MockTenant {
        self.start_blocking()
    }
}

/// How many connections may wait to be accepted.
const LISTEN_BACKLOG: i32 = 1024;

/// A socket bound to `addr` (with `SO_REUSEADDR` on Unix, as std binds), not yet listening.
fn bind_socket(addr: std::net::SocketAddr) -> std::io::Result<socket2::Socket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// A tenant bound to its port but not yet serving: the binary records its address and prints
/// its URLs, then serves. Its state (signing keys, CA) is on disk already, and its port refuses
/// connections until [`BoundTenant::serve`] listens: a script that waits for the port and then
/// runs `mock-idp token` signs with the tenant's own key.
#[derive(Debug)]
pub struct BoundTenant {
    listener: socket2::Socket,
    state: Arc<TenantState>,
    tls: Arc<TlsMaterial>,
    server_cfg: Option<Arc<rustls::ServerConfig>>,
    domain: String,
}

impl BoundTenant {
    /// `host:port`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Every domain the tenant answers on (`host:port`), the primary first, then its custom
    /// domains.
    pub fn domains(&self) -> &[String] {
        self.state.domains.all()
    }

    /// `scheme://host:port`.
    pub fn uri(&self) -> &str {
        &self.state.base_url
    }

    /// The issuer (with Auth0's trailing slash).
    pub fn issuer(&self) -> &str {
        &self.state.mint.issuer
    }

    /// The default API identifier.
    pub fn audience(&self) -> String {
        default_audience(&self.state)
    }

    /// The control API's admin secret, if the control API is on.
    pub fn admin_secret(&self) -> Option<String> {
        self.state.admin_secret()
    }

    /// The address the tenant listens on.
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener
            .local_addr()?
            .as_socket()
            .ok_or_else(|| std::io::Error::other("not an IP socket"))
    }

    /// Starts accepting connections (they wait until [`BoundTenant::serve`] answers them): call
    /// it once the tenant's address is recorded, before announcing it. [`BoundTenant::serve`]
    /// listens too, if this was not called.
    pub fn listen(&self) -> std::io::Result<()> {
        self.listener.listen(LISTEN_BACKLOG)
    }

    /// Serves until `shutdown` completes (mini-redis style); requests in flight get up to 10 s
    /// to finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.listener.listen(LISTEN_BACKLOG)?;
        let app = router::app(self.state);
        router::run(self.listener.into(), app, self.server_cfg, shutdown).await
    }
}

fn default_audience(state: &TenantState) -> String {
    state
        .mint
        .config
        .default_api()
        .map(|a| a.identifier.clone())
        .unwrap_or_default()
}

/// A running in-process tenant. Dropping it stops the server.
#[derive(Debug)]
pub struct MockTenant {
    state: Arc<TenantState>,
    tls: Arc<TlsMaterial>,
    domain: String,
    local_addr: std::net::SocketAddr,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl MockTenant {
    /// An HTTPS tenant on 127.0.0.1:0 with fixture keys and the quickstart configuration.
    pub async fn start() -> MockTenant {
        TenantBuilder::default().start_blocking()
    }

    /// Same as [`MockTenant::start`], for synchronous code.
    pub fn start_blocking() -> MockTenant {
        TenantBuilder::default().start_blocking()
    }

    /// Configure a tenant before starting it.
    pub fn builder() -> TenantBuilder {
        TenantBuilder::default()
    }

    /// `127.0.0.1:PORT`: what `AUTH0_DOMAIN` would hold.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The address the tenant listens on; its port differs from the issuer's behind
    /// [`TenantBuilder::public_port`].
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }

    /// `https://127.0.0.1:PORT/` (trailing slash, like Auth0).
    pub fn issuer(&self) -> &str {
        &self.state.mint.issuer
    }

    /// `https://127.0.0.1:PORT`.
    pub fn uri(&self) -> &str {
        &self.state.base_url
    }

    /// Every domain the tenant answers on (`host:port`), this one first (custom domains).
    pub fn domains(&self) -> Vec<String> {
        self.state.domains.all().to_vec()
    }

    /// The issuer of each domain (`https://host:port/`), in the order of [`Self::domains`].
    pub fn issuers(&self) -> Vec<String> {
        self.state.domains.issuers()
    }

    /// The discovery URL.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.uri())
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.uri())
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> String {
        self.state.token_endpoint()
    }

    /// The default API identifier (`https://my-flask-api` by default).
    pub fn audience(&self) -> String {
        default_audience(&self.state)
    }

    /// The tenant configuration.
    pub fn config(&self) -> &TenantConfig {
        &self.state.mint.config
    }

    /// The default application's client_id.
    pub fn client_id(&self) -> String {
        self.config()
            .default_application()
            .map(|a| a.client_id.clone())
            .unwrap_or_default()
    }

    /// The default application's client_secret.
    pub fn client_secret(&self) -> String {
        self.config()
            .default_application()
            .map(|a| a.client_secret.clone())
            .unwrap_or_default()
    }

    /// The CA certificate (PEM) to trust.
    pub fn ca_pem(&self) -> String {
        self.tls.ca_cert_pem.clone()
    }

    /// The CA certificate (DER).
    pub fn ca_der(&self) -> Vec<u8> {
        self.tls.ca_der().unwrap_or_default()
    }

    /// A reqwest client that trusts only this tenant's CA.
    pub fn http_client(&self) -> reqwest::Client {
        let mut b = reqwest::Client::builder();
        if let Ok(cert) = reqwest::Certificate::from_der(&self.ca_der()) {
            b = b.tls_certs_only([cert]);
        }
        // Building only fails if the TLS backend cannot initialise: an environment bug.
        b.build().expect("reqwest client builds")
    }

    /// A builder for a valid token (default API, default client, all its scopes, current key).
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(&self.state.mint)
    }

    /// A DPoP proof by `key` for `method` and `url`, timed by this tenant's clock.
    pub fn dpop_proof(
        &self,
        key: &crate::mint::proof::DpopKey,
        method: &str,
        url: &str,
    ) -> crate::mint::proof::ProofBuilder {
        key.proof(method, url).clock(self.clock())
    }

    /// Logs the user with this email in through the real browser flow (authorize, login form,
    /// code exchange with PKCE) and returns their tokens: `tenant.login(email).await?`.
    /// Builder methods choose the application, scope and audience.
    pub fn login(&self, email: &str) -> user_login::Login<'_> {
        user_login::Login::new(self, email)
    }

    /// The `/authorize` URL.
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.uri())
    }

    /// The tenant's virtual clock.
    pub fn clock(&self) -> &Clock {
        &self.state.mint.clock
    }

    /// The tenant's key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.state.mint.keys
    }

    /// Requests to the JWKS endpoint so far (faulted ones included).
    pub fn jwks_fetches(&self) -> usize {
        self.state.faults.calls(Endpoint::Jwks)
    }

    /// Requests to the discovery endpoint so far (faulted ones included).
    pub fn discovery_fetches(&self) -> usize {
        self.state.faults.calls(Endpoint::Discovery)
    }

    /// Requests to the token endpoint so far.
    pub fn token_requests(&self) -> usize {
        self.state.faults.calls(Endpoint::Token)
    }

    /// Every request received (the most recent, within `JOURNAL_CAPACITY` entries and
    /// `JOURNAL_MAX_BYTES`; each field capped as [`crate::tenant::journal`] says), oldest first, as
    /// clients sent it: credentials are redacted only where the journal is shown over HTTP.
    pub fn received_requests(&self) -> Vec<RecordedRequest> {
        self.state.journal.all()
    }

    /// Forgets the received requests (counters keep counting).
    pub fn clear_journal(&self) {
        self.state.journal.clear();
    }

    /// Makes every call to `endpoint` fail with `fault` (until `clear_faults`).
    pub fn fail(&self, endpoint: Endpoint, fault: Fault) {
        self.state.faults.add(endpoint, When::Always, fault);
    }

    /// Makes call number `call` (1-based, counted since start) to `endpoint` fail.
    pub fn fail_on(&self, endpoint: Endpoint, call: usize, fault: Fault) {
        self.state
            .faults
            .add(endpoint, When::Calls(call..=call), fault);
    }

    /// Makes the next `n` calls to `endpoint` fail.
    pub fn fail_next(&self, endpoint: Endpoint, n: usize, fault: Fault) {
        self.state.faults.add_next(endpoint, n, fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Makes the token endpoint require a server nonce in DPoP proofs (RFC 9449 §8) and returns
    /// it; proofs without it get `400 use_dpop_nonce` with a `DPoP-Nonce` header. Calling it
    /// again rotates the nonce.
    pub fn require_dpop_nonce(&self) -> String {
        self.state.require_dpop_nonce()
    }

    /// The control API's admin secret (`Authorization: Bearer <secret>`), if it is on.
    pub fn admin_secret(&self) -> Option<String> {
        self.state.admin_secret()
    }

    /// The identifier of the tenant's Management API (`https://{domain}/api/v2/`), the
    /// audience of tokens for the control API.
    pub fn management_audience(&self) -> String {
        self.state.management_audience()
    }

    /// The nonce DPoP proofs currently need, if any.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.state.current_dpop_nonce()
    }

    /// Stops requiring DPoP nonces.
    pub fn disable_dpop_nonce(&self) {
        *self
            .state
            .dpop_nonce
            .write()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Serves this exact JSON as the JWKS (instead of the key ring's), until
    /// [`clear_jwks_override`](Self::clear_jwks_override).
    pub fn set_jwks_override(&self, jwks: Value) {
        set_override(&self.state.jwks_override, Some(jwks));
    }

    /// Serves the key ring's JWKS again.
    pub fn clear_jwks_override(&self) {
        set_override(&self.state.jwks_override, None);
    }

    /// Serves this exact JSON as the JWKS while the returned guard lives, then the key ring's
    /// again (as wiremock's scoped mocks do):
    /// `let _jwks = tenant.jwks_override(json!({"keys": []}));`
    pub fn jwks_override(&self, jwks: Value) -> OverrideGuard<'_> {
        self.set_jwks_override(jwks);
        OverrideGuard {
            slot: &self.state.jwks_override,
        }
    }

    /// Serves `value` as the `Cache-Control` of `endpoint` (discovery or JWKS), or no
    /// `Cache-Control` at all for `None` (a tenant without caching advice, so a verifier falls
    /// back to its configured TTL). The default is Auth0's
    /// `public, max-age=15, stale-while-revalidate=15, stale-if-error=86400`. The token
    /// endpoint is not affected.
    pub fn set_cache_control(&self, endpoint: Endpoint, value: Option<&str>) {
        self.state
            .cache_control
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(endpoint, value.map(str::to_owned));
    }

    /// Serves Auth0's `Cache-Control` on `endpoint` again.
    pub fn clear_cache_control(&self, endpoint: Endpoint) {
        self.state
            .cache_control
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&endpoint);
    }

    /// The discovery document the tenant would serve without an override (a starting point
    /// for variants).
    pub fn discovery(&self) -> Value {
        discovery::primary(&self.state)
    }

    /// Serves this exact JSON as the discovery document (issuer mismatch, foreign jwks_uri...),
    /// until [`clear_discovery_override`](Self::clear_discovery_override).
    pub fn set_discovery_override(&self, doc: Value) {
        set_override(&self.state.discovery_override, Some(doc));
    }

    /// Serves the real discovery document again.
    pub fn clear_discovery_override(&self) {
        set_override(&self.state.discovery_override, None);
    }

    /// Serves this exact JSON as the discovery document while the returned guard lives.
    pub fn discovery_override(&self, doc: Value) -> OverrideGuard<'_> {
        self.set_discovery_override(doc);
        OverrideGuard {
            slot: &self.state.discovery_override,
        }
    }
}

fn set_override(slot: &RwLock<Option<Value>>, value: Option<Value>) {
    *slot.write().unwrap_or_else(|e| e.into_inner()) = value;
}

/// Restores the tenant's real document when dropped (from [`MockTenant::jwks_override`] and
/// [`MockTenant::discovery_override`]).
#[must_use = "the override ends when the guard is dropped"]
pub struct OverrideGuard<'a> {
    slot: &'a RwLock<Option<Value>>,
}

impl Drop for OverrideGuard<'_> {
    fn drop(&mut self) {
        set_override(self.slot, None);
    }
}
