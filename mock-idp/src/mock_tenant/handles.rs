//! The handles [`MockTenant`](crate::MockTenant) groups its methods into (as wiremock groups
//! mocks): each borrows the tenant and steers one concern of its core.

use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::http::discovery;
use crate::mint::dpop_key::DpopKey;
use crate::mint::proof::ProofBuilder;
use crate::tenant::faults::{Endpoint, Fault, When};
use crate::tenant::journal::RecordedRequest;
use crate::tenant::state::TenantState;
use crate::tenant::tls::TlsMaterial;

/// Where the tenant is reached: `tenant.urls()`.
#[derive(Debug, Clone, Copy)]
pub struct Urls<'a> {
    pub(super) state: &'a TenantState,
    pub(super) local_addr: std::net::SocketAddr,
}

impl Urls<'_> {
    /// The discovery URL.
    pub fn discovery(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.state.base_url)
    }

    /// The JWKS URL.
    pub fn jwks(&self) -> String {
        format!("{}/.well-known/jwks.json", self.state.base_url)
    }

    /// The token endpoint URL.
    pub fn token(&self) -> String {
        self.state.token_endpoint()
    }

    /// The `/authorize` URL.
    pub fn authorize(&self) -> String {
        format!("{}/authorize", self.state.base_url)
    }

    /// Every domain the tenant answers on (`host:port`), this one first (custom domains).
    pub fn domains(&self) -> Vec<String> {
        self.state.domains.all().to_vec()
    }

    /// The issuer of each domain (`https://host:port/`), in the order of [`Self::domains`].
    pub fn issuers(&self) -> Vec<String> {
        self.state.domains.issuers()
    }

    /// The address the tenant listens on; its port differs from the issuer's behind
    /// [`TenantBuilder::public_port`](crate::TenantBuilder::public_port).
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }
}

/// The default application: `tenant.app()`.
#[derive(Debug, Clone, Copy)]
pub struct DefaultApp<'a> {
    pub(super) state: &'a TenantState,
}

impl DefaultApp<'_> {
    /// Its client_id (empty without applications).
    pub fn client_id(&self) -> String {
        self.state
            .config()
            .default_application()
            .map(|a| a.client_id.clone())
            .unwrap_or_default()
    }

    /// Its client_secret (empty without applications).
    pub fn client_secret(&self) -> String {
        self.state
            .config()
            .default_application()
            .map(|a| a.client_secret.clone())
            .unwrap_or_default()
    }
}

/// The tenant's CA: `tenant.ca()`.
#[derive(Debug, Clone, Copy)]
pub struct Ca<'a> {
    pub(super) tls: &'a TlsMaterial,
}

impl Ca<'_> {
    /// The CA certificate (PEM) to trust.
    pub fn pem(&self) -> String {
        self.tls.ca_cert_pem.clone()
    }

    /// The CA certificate (DER).
    pub fn der(&self) -> Vec<u8> {
        self.tls.ca_der().unwrap_or_default()
    }
}

/// Fault injection: `tenant.faults()`.
#[derive(Debug, Clone, Copy)]
pub struct Faults<'a> {
    pub(super) state: &'a TenantState,
}

impl Faults<'_> {
    /// Makes every call to `endpoint` fail with `fault` (until [`clear`](Self::clear)).
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
    pub fn clear(&self) {
        self.state.faults.clear();
    }
}

/// What the tenant received: `tenant.journal()`.
#[derive(Debug, Clone, Copy)]
pub struct Journal<'a> {
    pub(super) state: &'a TenantState,
}

impl Journal<'_> {
    /// Every request received (the most recent, within `JOURNAL_CAPACITY` entries and
    /// `JOURNAL_MAX_BYTES`; each field capped), oldest first, as clients sent it: credentials
    /// are redacted only where the journal is shown over HTTP.
    pub fn received_requests(&self) -> Vec<RecordedRequest> {
        self.state.journal.all()
    }

    /// Forgets the received requests (counters keep counting).
    pub fn clear(&self) {
        self.state.journal.clear();
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
}

/// Other documents and caching advice: `tenant.overrides()`.
#[derive(Debug, Clone, Copy)]
pub struct Overrides<'a> {
    pub(super) state: &'a Arc<TenantState>,
}

impl Overrides<'_> {
    /// Serves this exact JSON as the JWKS (instead of the key ring's) while the returned guard
    /// lives, then the key ring's again (as wiremock's scoped mocks do):
    /// `let _jwks = tenant.overrides().jwks(json!({"keys": []}));`
    pub fn jwks(&self, jwks: Value) -> OverrideGuard {
        OverrideGuard::set(self.state, Document::Jwks, jwks)
    }

    /// Serves this exact JSON as the discovery document (issuer mismatch, foreign
    /// jwks_uri...) while the returned guard lives.
    pub fn discovery(&self, doc: Value) -> OverrideGuard {
        OverrideGuard::set(self.state, Document::Discovery, doc)
    }

    /// The discovery document the tenant serves without an override (a starting point for
    /// variants).
    pub fn original_discovery(&self) -> Value {
        discovery::primary(self.state)
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
}

/// Which document an [`OverrideGuard`] replaces.
#[derive(Debug, Clone, Copy)]
enum Document {
    Jwks,
    Discovery,
}

/// Restores the tenant's real document when dropped (from [`Overrides::jwks`] and
/// [`Overrides::discovery`]). It owns a share of the tenant's state, so a test may keep it
/// in any struct beside the tenant.
#[derive(Debug)]
#[must_use = "the override ends when the guard is dropped"]
pub struct OverrideGuard {
    state: Arc<TenantState>,
    document: Document,
}

impl OverrideGuard {
    fn set(state: &Arc<TenantState>, document: Document, value: Value) -> Self {
        let guard = OverrideGuard {
            state: state.clone(),
            document,
        };
        *guard.slot().write().unwrap_or_else(|e| e.into_inner()) = Some(value);
        guard
    }

    fn slot(&self) -> &RwLock<Option<Value>> {
        match self.document {
            Document::Jwks => &self.state.jwks_override,
            Document::Discovery => &self.state.discovery_override,
        }
    }
}

impl Drop for OverrideGuard {
    fn drop(&mut self) {
        *self.slot().write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// DPoP proofs and the server nonce: `tenant.dpop()`.
#[derive(Debug, Clone, Copy)]
pub struct Dpop<'a> {
    pub(super) state: &'a TenantState,
}

impl Dpop<'_> {
    /// A DPoP proof by `key` for `method` and `url`, timed by this tenant's clock.
    pub fn proof(&self, key: &DpopKey, method: &str, url: &str) -> ProofBuilder {
        key.proof(method, url).clock(&self.state.mint.clock)
    }

    /// Makes the token endpoint require a server nonce in DPoP proofs (RFC 9449 §8) and
    /// returns it; proofs without it get `400 use_dpop_nonce` with a `DPoP-Nonce` header.
    /// Calling it again rotates the nonce.
    pub fn require_nonce(&self) -> String {
        self.state.require_dpop_nonce()
    }

    /// The nonce DPoP proofs currently need, if any.
    pub fn nonce(&self) -> Option<String> {
        self.state.current_dpop_nonce()
    }

    /// Stops requiring DPoP nonces.
    pub fn disable_nonce(&self) {
        *self
            .state
            .dpop_nonce
            .write()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The control API: `tenant.control()`.
#[derive(Debug, Clone, Copy)]
pub struct ControlApi<'a> {
    pub(super) state: &'a TenantState,
}

impl ControlApi<'_> {
    /// Its admin secret (`Authorization: Bearer <secret>`), if the control API is on.
    pub fn admin_secret(&self) -> Option<String> {
        self.state.admin_secret()
    }

    /// The identifier of the tenant's Management API (`https://{domain}/api/v2/`), the
    /// audience of tokens for the control API.
    pub fn audience(&self) -> String {
        self.state.management_audience()
    }
}
