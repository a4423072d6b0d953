//! [`MockTenant`]: a running tenant and its handles, the way wiremock's `MockServer` exposes
//! a server. Start one with [`MockTenant::start`] or [`MockTenant::builder`].

use std::sync::Arc;

use crate::clock::Clock;
use crate::keys::KeyRing;
use crate::mint::token::TokenBuilder;
use crate::mock_tenant::config::Configuration;
use crate::mock_tenant::handles::{
    Ca, ControlApi, DefaultApp, Dpop, Faults, Journal, Overrides, Urls,
};
use crate::mock_tenant::user_login::Login;
use crate::tenant::state::TenantState;
use crate::tenant::tls::TlsMaterial;

/// A running in-process tenant. Dropping it stops the server.
///
/// Besides the few names a test reads every time (issuer, audience, a token), its methods
/// are grouped into handles: [`urls`](Self::urls), [`keys`](Self::keys),
/// [`clock`](Self::clock), [`faults`](Self::faults), [`journal`](Self::journal),
/// [`overrides`](Self::overrides), [`dpop`](Self::dpop), [`control`](Self::control).
#[derive(Debug)]
pub struct MockTenant {
    pub(super) state: Arc<TenantState>,
    pub(super) tls: Arc<TlsMaterial>,
    pub(super) domain: String,
    pub(super) local_addr: std::net::SocketAddr,
    /// Dropping it stops the server.
    pub(super) _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl MockTenant {
    /// `127.0.0.1:PORT`: what `AUTH0_DOMAIN` would hold.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// `https://127.0.0.1:PORT/` (trailing slash, like Auth0).
    pub fn issuer(&self) -> &str {
        &self.state.mint.issuer
    }

    /// `https://127.0.0.1:PORT`.
    pub fn uri(&self) -> &str {
        &self.state.base_url
    }

    /// The default API identifier (`https://my-flask-api` by default).
    pub fn audience(&self) -> &str {
        // The tenant's first API when it started (the default audience a test was built for).
        self.state
            .mint
            .config
            .default_api()
            .map_or("", |a| a.identifier.as_str())
    }

    /// The endpoints' URLs, the tenant's other domains and the address it listens on.
    pub fn urls(&self) -> Urls<'_> {
        Urls {
            state: &self.state,
            local_addr: self.local_addr,
        }
    }

    /// The tenant's configuration as it runs: read it, and change users, roles, applications,
    /// APIs and organizations as Auth0's Management API does (the same methods).
    pub fn config(&self) -> Configuration<'_> {
        Configuration { state: &self.state }
    }

    /// The default application (its client_id and client_secret).
    pub fn app(&self) -> DefaultApp<'_> {
        DefaultApp { state: &self.state }
    }

    /// The CA certificate to trust.
    pub fn ca(&self) -> Ca<'_> {
        Ca { tls: &self.tls }
    }

    /// A reqwest client that trusts only this tenant's CA.
    pub fn http_client(&self) -> reqwest::Client {
        let mut b = reqwest::Client::builder();
        if let Ok(cert) = reqwest::Certificate::from_der(&self.ca().der()) {
            b = b.tls_certs_only([cert]);
        }
        // Building only fails if the TLS backend cannot initialise: an environment bug.
        b.build().expect("reqwest client builds")
    }

    /// A builder for a valid token (default API, default client, all its scopes, current key).
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(&self.state.mint())
    }

    /// Logs the user with this email in through the real browser flow (authorize, login form,
    /// code exchange with PKCE) and returns their tokens: `tenant.login(email).await?`.
    /// Builder methods choose the application, scope and audience.
    pub fn login(&self, email: &str) -> Login<'_> {
        Login::new(&self.state, &self.tls, email)
    }

    /// The tenant's virtual clock.
    pub fn clock(&self) -> &Clock {
        &self.state.mint.clock
    }

    /// The tenant's key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.state.mint.keys
    }

    /// Fault injection: make calls to an endpoint fail.
    pub fn faults(&self) -> Faults<'_> {
        Faults { state: &self.state }
    }

    /// What the tenant received: the request journal and per-endpoint counters.
    pub fn journal(&self) -> Journal<'_> {
        Journal { state: &self.state }
    }

    /// Serve other JWKS or discovery documents, or other `Cache-Control` advice.
    pub fn overrides(&self) -> Overrides<'_> {
        Overrides { state: &self.state }
    }

    /// DPoP: proofs timed by the tenant's clock and the token endpoint's server nonce.
    pub fn dpop(&self) -> Dpop<'_> {
        Dpop { state: &self.state }
    }

    /// The control API: its admin secret and the Management API audience.
    pub fn control(&self) -> ControlApi<'_> {
        ControlApi { state: &self.state }
    }
}
