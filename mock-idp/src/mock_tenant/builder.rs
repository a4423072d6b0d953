//! [`TenantBuilder`]: how a tenant is configured and started (`start`, `try_start`, `bind`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Snapshot, TenantConfig};
use crate::keys::KeyRing;
use crate::mint::token::MintContext;
use crate::mock_tenant::bound::BoundTenant;
use crate::mock_tenant::handle::MockTenant;
use crate::tenant::domains::Domains;
use crate::tenant::exchange_actions::{
    ActionDenial, ExchangeActions, ExchangeDecision, ExchangeRequest,
};
use crate::tenant::model::TenantModel;
use crate::tenant::state::TenantState;
use crate::tenant::state_dir::{StateDir, StateError};
use crate::tenant::tls::{TlsError, TlsMaterial};

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
    /// The Actions cannot run: Node is missing or too old, an Action does not load, or a
    /// Deploy CLI export cannot be read. The one line says what to do.
    #[error("{0}")]
    Actions(String),
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
    keep_changes: bool,
    fixture_keys: bool,
    keys: Option<KeyRing>,
    clock: Option<Clock>,
    auto_login: Option<String>,
    access_log: bool,
    journal_credentials: bool,
    control: Control,
    exchange_actions: ExchangeActions,
    deploy_cli_export: Option<PathBuf>,
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
            keep_changes: false,
            fixture_keys: true,
            keys: None,
            clock: None,
            auto_login: None,
            access_log: false,
            journal_credentials: false,
            control: Control::default(),
            exchange_actions: ExchangeActions::default(),
            deploy_cli_export: None,
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

    /// Keep what the Management API (or any face) changes in the state directory, and start
    /// from it next time (as `mock-idp serve` does unless `--ephemeral`). Needs
    /// [`state_dir`](Self::state_dir); without this, changes live in memory only.
    pub fn keep_changes(mut self, yes: bool) -> Self {
        self.keep_changes = yes;
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
    /// [`MockTenant::control`]).
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
    /// for Auth0's Custom Token Exchange Action (see [`ExchangeAction`](crate::exchange::ExchangeAction)).
    pub fn exchange_action<F>(mut self, name: &str, action: F) -> Self
    where
        F: Fn(&ExchangeRequest) -> Result<ExchangeDecision, ActionDenial> + Send + Sync + 'static,
    {
        self.exchange_actions
            .0
            .insert(name.to_owned(), Arc::new(action));
        self
    }

    /// Adds the Actions an `auth0-deploy-cli` export (directory format) binds to post-login
    /// and credentials-exchange, after the configuration's own: `actions/*.json` with their
    /// `code.js`, bound in the order of `triggers/triggers.json`.
    pub fn actions_from_deploy_cli(mut self, export_dir: impl Into<PathBuf>) -> Self {
        self.deploy_cli_export = Some(export_dir.into());
        self
    }

    /// Binds its address (127.0.0.1 unless [`bind_ip`](Self::bind_ip)) and prepares
    /// everything, without serving yet: `mock-idp serve` records the address and prints the
    /// URLs before the port accepts connections.
    pub fn bind(mut self) -> Result<BoundTenant, StartError> {
        if let Some(dir) = self.deploy_cli_export.take() {
            let imported =
                crate::config::deploy::actions_from_export(&dir).map_err(StartError::Actions)?;
            self.config.actions.extend(imported);
            self.config.validate().map_err(|(key, problem)| {
                StartError::Actions(format!("{}: {key}: {problem}", dir.display()))
            })?;
        }
        // Node starts here, before the port listens: a tenant whose Actions cannot run does
        // not start. Without Actions nothing starts.
        let actions = crate::actions::Actions::start(&self.config)
            .map_err(|e| StartError::Actions(e.to_string()))?;
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
        let control_on = !matches!(self.control, Control::Off);
        let config = self.config.resolve_management_api(&issuer, control_on);
        let mint = MintContext {
            issuer,
            userinfo: format!("{base_url}/userinfo"),
            clock: self.clock.unwrap_or_default(),
            keys,
            config: Arc::new(crate::config::Snapshot::new(config)),
        };
        let server_cfg = if self.http {
            None
        } else {
            Some(tls.server_config()?)
        };
        let file = mint.config.clone();
        let mut state = TenantState::new(base_url, mint, domains, self.exchange_actions);
        if let (Some(dir), true) = (&self.state_dir, self.keep_changes) {
            let started_from = crate::tenant::saved_model::digest(&file.to_config());
            if let Some(saved) = crate::tenant::saved_model::load(dir, &started_from) {
                let saved = saved.resolve_management_api(&issuer_of(&state), control_on);
                state.model = TenantModel::with_current(Arc::new(Snapshot::new(saved)), file);
            }
            crate::tenant::saved_model::keep(&state.model, dir.clone(), started_from);
        }
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
                actions,
                ..state
            }),
            tls: Arc::new(tls),
            server_cfg,
            domain,
        })
    }

    /// Starts the tenant on its own thread and returns its error instead of panicking:
    /// synchronous code (benches, blocking tests) and the CLI, which reports why, use it.
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

    /// Starts the tenant on its own thread; panics (with the reason) if it cannot. Async for
    /// symmetry with wiremock's `MockServer::start`; the work is synchronous.
    pub async fn start(self) -> MockTenant {
        match self.try_start() {
            Ok(t) => t,
            Err(e) => panic!("mock-idp: cannot start tenant: {e}"),
        }
    }
}

impl MockTenant {
    /// An HTTPS tenant on 127.0.0.1:0 with fixture keys and the quickstart configuration: the
    /// one way to start a tenant in a test.
    pub async fn start() -> MockTenant {
        TenantBuilder::default().start().await
    }

    /// Configure a tenant before starting it (then `.start()`, or `.try_start()` from
    /// synchronous code).
    pub fn builder() -> TenantBuilder {
        TenantBuilder::default()
    }
}

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

/// The issuer of a tenant being built.
fn issuer_of(state: &TenantState) -> String {
    state.mint.issuer.clone()
}
