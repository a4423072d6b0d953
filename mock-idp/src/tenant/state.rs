//! `TenantState`: everything a running tenant shares between its faces (the OAuth endpoints,
//! the browser pages, the control API, the Test page) and its Rust handle: the mint context
//! (config, keys, clock), the runtime stores (sessions, logins, codes, refresh families,
//! journal, faults), the overrides tests set, and the tenant's domains, actions and upstream.
//!
//! It lives in the core so that every face depends on it and none of it depends on a face.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::http::header;
use serde_json::Value;

use crate::config::Snapshot;
use crate::mint::token::MintContext;
use crate::tenant::codes::Codes;
use crate::tenant::domains::Domains;
use crate::tenant::exchange_actions::ExchangeActions;
use crate::tenant::faults::{Endpoint, Faults};
use crate::tenant::journal::Journal;
use crate::tenant::model::TenantModel;
use crate::tenant::refresh_tokens::RefreshTokens;
use crate::tenant::session::{Sessions, Transactions};
use crate::tenant::upstream::Upstream;

/// Auth0's cache policy for discovery and JWKS.
pub(crate) const CACHE_CONTROL: &str =
    "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400";

/// Everything a running tenant shares between its handlers and its test handle.
#[derive(Debug)]
pub(crate) struct TenantState {
    /// `https://host:port` (no trailing slash).
    pub(crate) base_url: String,
    /// Issuer, clock and keys. Its `config` is the configuration at start: read the live one
    /// with [`TenantState::config`], mint with [`TenantState::mint`].
    pub(crate) mint: MintContext,
    /// The tenant's configuration as it runs: every change goes through it.
    pub(crate) model: TenantModel,
    pub(crate) faults: Faults,
    pub(crate) journal: Journal,
    pub(crate) jwks_override: RwLock<Option<Value>>,
    pub(crate) discovery_override: RwLock<Option<Value>>,
    /// Cache-Control overrides for discovery and JWKS: `Some(v)` serves `v`, `None` serves no
    /// header; an endpoint absent from the map serves Auth0's [`CACHE_CONTROL`].
    pub(crate) cache_control: RwLock<HashMap<Endpoint, Option<String>>>,
    /// DPoP proof `jti`s seen at the token endpoint, with their `iat`, for replay detection.
    pub(crate) seen_jti: crate::tenant::seen_jtis::SeenJtis,
    /// The nonce DPoP proofs must carry at the token endpoint (RFC 9449 §8); `None`: no nonces.
    pub(crate) dpop_nonce: RwLock<Option<String>>,
    /// Login sessions (SSO).
    pub(crate) sessions: Sessions,
    /// Logins waiting for the form.
    pub(crate) transactions: Transactions,
    /// Authorization codes.
    pub(crate) codes: Codes,
    /// Refresh tokens and their families.
    pub(crate) refresh_tokens: RefreshTokens,
    /// Device Authorization: device codes and user codes.
    pub(crate) device_codes: crate::tenant::device_codes::DeviceCodes,
    /// MFA: `mfa_token`s, logins owing a code, replay and brute-force state.
    pub(crate) mfa: crate::tenant::mfa::Mfa,
    /// The user_id `/authorize` logs in without a form (headless tests), if any.
    pub(crate) auto_login: Option<String>,
    /// Print one JSON line per request on stdout (`mock-idp serve --log-format json`).
    pub(crate) access_log: std::sync::atomic::AtomicBool,
    /// The control API's admin secret; `None`: the control API is off (its paths answer 404).
    pub(crate) admin_secret: RwLock<Option<String>>,
    /// The CA certificate (PEM) clients trust, for the Test page; unset over plain HTTP.
    pub(crate) ca_pem: std::sync::OnceLock<String>,
    /// The names the tenant answers on (custom domains), the primary (`base_url`) first.
    pub(crate) domains: Domains,
    /// Exchange profiles' actions (Rust closures), by name.
    pub(crate) exchange_actions: ExchangeActions,
    /// The tenant's Actions runtime (its Node worker, when the configuration has Actions).
    pub(crate) actions: crate::actions::Actions,
    /// Where discovery and JWKS are delegated (`PUT /control/upstream`); `None`: served here.
    pub(crate) upstream: RwLock<Option<Upstream>>,
    /// Test page sessions (the cookie's ids).
    pub(crate) admin_sessions: crate::tenant::admin_sessions::AdminSessions,
    /// Dynamic client registrations in the current minute (`POST /oidc/register`).
    pub(crate) registrations: crate::tenant::rate::Window,
    /// Client ID metadata documents fetched for URL `client_id`s, and the fetch bound.
    pub(crate) client_documents: crate::tenant::client_documents::ClientDocuments,
}

impl TenantState {
    pub(crate) fn new(
        base_url: String,
        mint: MintContext,
        domains: Domains,
        exchange_actions: ExchangeActions,
    ) -> Self {
        let model = TenantModel::with_current(mint.config.clone(), mint.config.clone());
        TenantState {
            model,
            domains,
            exchange_actions,
            base_url,
            mint,
            faults: Faults::default(),
            journal: Journal::default(),
            jwks_override: RwLock::new(None),
            discovery_override: RwLock::new(None),
            cache_control: RwLock::new(HashMap::new()),
            seen_jti: Default::default(),
            dpop_nonce: RwLock::new(None),
            sessions: Sessions::default(),
            transactions: Transactions::default(),
            codes: Codes::default(),
            refresh_tokens: RefreshTokens::default(),
            mfa: Default::default(),
            device_codes: Default::default(),
            auto_login: None,
            access_log: std::sync::atomic::AtomicBool::new(false),
            admin_secret: RwLock::new(None),
            ca_pem: std::sync::OnceLock::new(),
            upstream: RwLock::new(None),
            admin_sessions: Default::default(),
            actions: crate::actions::Actions::default(),
            registrations: Default::default(),
            client_documents: Default::default(),
        }
    }

    /// The configuration now: take it once per request and read everything from it.
    pub(crate) fn config(&self) -> Arc<Snapshot> {
        self.model.current()
    }

    /// The application `client_id` names: the tenant's own, or a client ID metadata document
    /// client whose document is cached (fetched when its login began).
    pub(crate) fn application<'a>(
        &self,
        cfg: &'a crate::config::TenantConfig,
        client_id: &str,
    ) -> Option<std::borrow::Cow<'a, crate::config::ApplicationConfig>> {
        if let Some(app) = cfg.application(client_id) {
            return Some(std::borrow::Cow::Borrowed(app));
        }
        self.client_documents
            .cached(client_id, self.mint.clock.now())
            .map(|a| std::borrow::Cow::Owned((*a).clone()))
    }

    /// What the token builders need, with the configuration now.
    pub(crate) fn mint(&self) -> MintContext {
        MintContext {
            config: self.config(),
            ..self.mint.clone()
        }
    }

    /// The upstream discovery and JWKS are delegated to, if any.
    pub(crate) fn upstream(&self) -> Option<Upstream> {
        self.upstream
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the tenant serves HTTPS (cookies are then `Secure`).
    pub(crate) fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The default API's identifier (empty without APIs).
    pub(crate) fn default_audience(&self) -> String {
        self.config()
            .default_api()
            .map_or_else(String::new, |a| a.identifier.clone())
    }

    pub(crate) fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    /// The domain a request is for, from its `Host` (custom domains).
    pub(crate) fn domain_of(&self, headers: &axum::http::HeaderMap) -> &str {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        self.domains.for_host(host)
    }

    /// What tokens minted for a request on `headers` need: the issuer of its domain.
    pub(crate) fn mint_for(&self, headers: &axum::http::HeaderMap) -> MintContext {
        let origin = self.domains.origin(self.domain_of(headers));
        MintContext {
            issuer: format!("{origin}/"),
            userinfo: format!("{origin}/userinfo"),
            ..self.mint()
        }
    }

    /// The control API's admin secret, if the control API is on.
    pub(crate) fn admin_secret(&self) -> Option<String> {
        self.admin_secret
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The identifier of the tenant's Management API, `https://{domain}/api/v2/`.
    pub(crate) fn management_audience(&self) -> String {
        format!("{}api/v2/", self.mint.issuer)
    }

    /// Requires (or rotates) a DPoP nonce at the token endpoint; returns it.
    pub(crate) fn require_dpop_nonce(&self) -> String {
        let nonce = crate::jose::random_id();
        *self.dpop_nonce.write().unwrap_or_else(|e| e.into_inner()) = Some(nonce.clone());
        nonce
    }

    pub(crate) fn current_dpop_nonce(&self) -> Option<String> {
        self.dpop_nonce
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The Cache-Control value `endpoint` serves (`None`: no header).
    pub(crate) fn cache_control(&self, endpoint: Endpoint) -> Option<String> {
        self.cache_control
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&endpoint)
            .cloned()
            .unwrap_or_else(|| Some(CACHE_CONTROL.to_owned()))
    }

    /// The JWKS served: the override, or the ring's keys. A JWK's `alg` binds its key to one
    /// algorithm (RFC 7517 §4.4), which strict verifiers honour; when an API signs with another
    /// RSA algorithm (RS512, PS256) from the same keys, the keys name none, so tokens of every
    /// API verify. HS256 secrets are never published.
    pub(crate) fn jwks(&self) -> Value {
        if let Some(doc) = self
            .jwks_override
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return doc;
        }
        let mut doc = self.mint.keys.jwks();
        let mixed = self
            .config()
            .apis
            .iter()
            .any(|a| a.hs256_secret().is_none() && a.sig_alg() != crate::keys::SigAlg::RS256);
        if mixed && let Some(keys) = doc["keys"].as_array_mut() {
            for k in keys {
                if let Some(k) = k.as_object_mut() {
                    k.remove("alg");
                }
            }
        }
        doc
    }
}

/// The post-login Actions read the user from the model and write its metadata through the
/// model's user write (checked and bounded like any other write).
impl crate::actions::UserStore for TenantState {
    fn current_user(&self, user_id: &str) -> Option<Arc<crate::config::UserConfig>> {
        let snapshot = self.config();
        let at = snapshot.user_index().position(user_id)?;
        Some(snapshot.user_index().at(at).clone())
    }

    fn set_metadata(
        &self,
        user_id: &str,
        app: bool,
        key: &str,
        value: &Value,
    ) -> Result<(), String> {
        self.model
            .update_user(user_id, |u| {
                let m = if app {
                    &mut u.app_metadata
                } else {
                    &mut u.user_metadata
                };
                if value.is_null() {
                    m.remove(key);
                } else {
                    m.insert(key.to_owned(), value.clone());
                }
                Ok(())
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
