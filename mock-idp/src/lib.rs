//! mock-idp: a mock Auth0 tenant you can run, embed in a test, and trust over HTTPS.
//!
//! It serves what a tenant serves (OIDC discovery, JWKS, `POST /oauth/token` with
//! client_credentials, authorization code + PKCE and refresh tokens, DPoP, a login page,
//! `/userinfo`, logout), over HTTPS with its own CA, and adds what tests need: a token
//! builder for every good and bad token, DPoP proofs, observable key rotation, a virtual clock,
//! fault injection and a request journal.
//!
//! # A tenant in a test
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use mock_idp::{DpopKey, Endpoint, Fault, MockTenant, Signing};
//!
//! let tenant = MockTenant::start().await; // HTTPS on 127.0.0.1:0, fixed test keys
//! assert!(tenant.issuer().ends_with('/'));
//!
//! // A valid token for the default API, and some bad ones.
//! let good = tenant.token().scope("read:messages").build();
//! let expired = tenant.token().expires_in(-60).build();
//! let forged = tenant.token().signed_with(Signing::HmacWithPublicKey).build();
//!
//! // A DPoP-bound token and a proof for a request to the protected API.
//! let key = DpopKey::generate();
//! let bound = tenant.token().bound_to(&key).build();
//! let proof = key
//!     .proof("GET", "https://api.example/api/private")
//!     .access_token(&bound)
//!     .clock(tenant.clock())
//!     .build();
//!
//! // Everything else sits behind a handle: keys, clock, faults, journal, overrides, DPoP
//! // nonces, URLs, the CA, the control API.
//! let next = tenant.keys().publish_next();
//! tenant.clock().advance(3600);
//! tenant.faults().fail(Endpoint::Jwks, Fault::Status(503));
//!
//! // Talk to it over HTTPS with a client that trusts its CA.
//! let res = tenant.http_client().get(tenant.urls().discovery()).send().await.unwrap();
//! assert_eq!(res.status(), 200);
//! # let _ = (good, expired, forged, proof, next);
//! # }
//! ```
//!
//! # As a server
//!
//! The `mock-idp` command (crate `mock-idp-cli`) runs the same tenant standalone: `mock-idp
//! serve`; `token`, `proof`, `init` and `ca` act on it through the shared state directory.
//!
//! # Layout
//!
//! One core at the bottom, the faces that serve and steer it above. The modules are private;
//! the entry points are re-exported here, each by one path, and the rest is grouped in six
//! public modules: [`config`] (the tenant TOML), [`jose`] (the JOSE encodings tests decode
//! tokens with), [`handles`] (what `tenant.faults()`, `tenant.journal()`... return), [`spec`]
//! (tokens and proofs as data), [`exchange`] (Custom Token Exchange closures) and [`error`].
//!
//! | folder | what it holds |
//! |---|---|
//! | `tenant/` | the core, which imports no face: `TenantState` and the stores it holds (sessions and login transactions, authorization codes, refresh token families, faults, journal, fetched client ID metadata documents; all bounded by `BoundedStore`), custom domains, the upstream, the [`exchange`] closures, the [`StateDir`] on disk and the CA ([`TlsMaterial`]) |
//! | `keys/` | [`SigningKey`], [`SigAlg`] and [`KeyRing`]: the JWKS, rotation (publish, promote, retire); the DER and weak-RSA code they need |
//! | `mint/` | [`TokenBuilder`] and [`Signing`]; [`DpopKey`] and [`ProofBuilder`]; [`spec::TokenSpec`] and [`spec::ProofSpec`] (tokens and proofs as data); user access/ID tokens |
//! | [`jose`] | base64url, compact JWS assembly, RFC 7638 thumbprints, `ath`: the encodings keys, tokens, proofs and config share |
//! | `actions/` | the Actions runtime: one Node worker per tenant with Actions, the `event` each trigger gets, the `api` calls applied to tokens, the last executions ([`handles::ActionExecution`]) |
//! | `clock`, `responses` | the virtual [`Clock`] every signed time comes from; the JSON 404 and the dropped connection every face answers with |
//! | `config/` | [`config::TenantConfig`]: APIs, applications, grants, token dialects, users and roles, exchange profiles, Custom API clients, Token Vault, organizations, custom domains; [`config::deploy`]: Auth0 Deploy CLI exports (`tenant.yaml`, a directory) into it and back |
//! | `http/` | the router (`app()`, the observe middleware: journal, faults; `run`), the discovery document and the cached discovery and JWKS `GET`s |
//! | `token_endpoint/` | `POST /oauth/token`, one module per grant (client credentials with organizations, token exchange, On-Behalf-Of, Token Vault, authorization code, refresh token), `/oauth/revoke` |
//! | `browser/` | `/authorize`, the login page `/u/login`, `/userinfo`, `/v2/logout` and `/oidc/logout`, CORS, HTML pages |
//! | `control/`, `dashboard/` | the control API (its routes and scopes: [`control_routes`]) and the Test page |
//! | `dotenv` | [`dotenv`] and [`ca_hints`]: the `.env` for an API and how each language trusts the CA, for every face that shows them |
//! | `mock_tenant/` | [`MockTenant`]: start, stop on drop, and its [`handles`]; [`TenantBuilder`] and [`BoundTenant`]; [`Login`]: `tenant.login(email)` walks the browser flow over HTTP |
//!
//! The mock never depends on the verifier (`oauth2-jwt-bearer`) and the verifier never on the
//! mock outside its tests: each implements JOSE on its own, so a bug in one cannot hide the same
//! bug in the other.

mod actions;
mod browser;
mod clock;
pub mod config;
mod control;
mod dashboard;
mod dotenv;
mod http;
pub mod jose;
mod keys;
mod management;
mod mint;
mod mock_tenant;
mod registration;
mod responses;
mod tenant;
mod token_endpoint;

pub use clock::Clock;
pub use control::{Route as ControlRoute, routes as control_routes};
pub use dotenv::{ca_hints, dotenv};
pub use keys::{KeyRing, SigAlg, SigningKey};
pub use mint::dpop_key::{DpopKey, ProofAlg};
pub use mint::proof::ProofBuilder;
pub use mint::token::{Signing, TokenBuilder};
pub use mock_tenant::user_login::{Login, LoginTokens};
pub use mock_tenant::{BoundTenant, MockTenant, TenantBuilder};
pub use tenant::faults::{Endpoint, Fault};
pub use tenant::journal::RecordedRequest;
pub use tenant::state_dir::{ServeAddress, StateDir};
pub use tenant::tls::TlsMaterial;

/// What [`MockTenant`]'s handles return: `tenant.faults()`, `tenant.journal()`, ...
pub mod handles {
    pub use crate::actions::ActionExecution;
    pub use crate::mock_tenant::config::Configuration;
    pub use crate::mock_tenant::handles::{
        Ca, ControlApi, DefaultApp, Dpop, Faults, Journal, OverrideGuard, Overrides, Urls,
    };
    pub use crate::mock_tenant::reload::ConfigReloader;
}

/// Tokens and proofs as data (JSON for the control API, `--spec` for the CLI), applied to the
/// builders.
pub mod spec {
    pub use crate::mint::spec::{JwsEdits, ProofSpec, SigningSpec, TokenSpec};
}

/// The Rust closures a `validation = "action"` exchange profile names, standing in for
/// Auth0's Custom Token Exchange Action ([`TenantBuilder::exchange_action`]). The tenant's
/// JavaScript Actions (post-login, credentials-exchange) are configuration:
/// [`config::ActionConfig`].
pub mod exchange {
    pub use crate::tenant::exchange_actions::{
        ActionDenial, ExchangeAction, ExchangeDecision, ExchangeRequest,
    };
}

/// Why something failed: starting a tenant, its state directory, TLS, keys, a login. (The
/// tenant TOML's error is [`config::ConfigError`], a JOSE algorithm's [`jose::UnknownAlgorithm`].)
pub mod error {
    pub use crate::keys::KeyError;
    pub use crate::mock_tenant::StartError;
    pub use crate::mock_tenant::user_login::LoginError;
    pub use crate::tenant::model::{EntryKind, ModelError};
    pub use crate::tenant::state_dir::StateError;
    pub use crate::tenant::tls::TlsError;
}
