//! [`BoundTenant`]: a tenant bound to its port, serving once its caller says so.

use std::future::Future;
use std::sync::Arc;

use crate::http::router;
use crate::tenant::state::TenantState;
use crate::tenant::tls::TlsMaterial;

/// How many connections may wait to be accepted.
const LISTEN_BACKLOG: i32 = 1024;

/// A tenant bound to its port but not yet serving: the binary records its address and prints
/// its URLs, then serves. Its state (signing keys, CA) is on disk already, and its port refuses
/// connections until [`BoundTenant::serve`] listens: a script that waits for the port and then
/// runs `mock-idp token` signs with the tenant's own key.
#[derive(Debug)]
pub struct BoundTenant {
    pub(super) listener: socket2::Socket,
    pub(super) state: Arc<TenantState>,
    pub(super) tls: Arc<TlsMaterial>,
    pub(super) server_cfg: Option<Arc<rustls::ServerConfig>>,
    pub(super) domain: String,
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
    pub fn audience(&self) -> &str {
        // Not started yet: the configuration is the one it starts with.
        self.state
            .mint
            .config
            .default_api()
            .map_or("", |a| a.identifier.as_str())
    }

    /// The control API's admin secret, if the control API is on.
    pub fn admin_secret(&self) -> Option<String> {
        self.state.admin_secret()
    }

    /// A handle that replaces the configuration while the tenant serves (`serve --watch`).
    pub fn reloader(&self) -> crate::handles::ConfigReloader {
        super::reload::ConfigReloader {
            state: self.state.clone(),
        }
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
