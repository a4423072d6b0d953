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
//! // Keys, time and failures are scriptable.
//! let next = tenant.keys().publish_next();
//! tenant.clock().advance(3600);
//! tenant.fail(Endpoint::Jwks, Fault::Status(503));
//!
//! // Talk to it over HTTPS with a client that trusts its CA.
//! let res = tenant.http_client().get(tenant.discovery_url()).send().await.unwrap();
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
//! | module | what it holds |
//! |---|---|
//! | [`tenant`] | [`MockTenant`]: start, stop on drop, the handles below; [`TenantBuilder`] for config and state |
//! | [`mint`] | [`TokenBuilder`]: every good and bad access token; [`Signing`] says how it is signed |
//! | [`proof`] | [`DpopKey`] and [`ProofBuilder`]: DPoP proofs with every field settable or wrong |
//! | [`keys`] | [`SigningKey`] and [`KeyRing`]: the JWKS, rotation (publish, promote, retire) |
//! | [`spec`] | [`TokenSpec`] and [`ProofSpec`]: tokens and proofs as data (CLI flags, control API JSON) |
//! | [`jose`] | base64url, compact JWS assembly, RFC 7638 thumbprints, `ath` |
//! | [`clock`] | the virtual [`Clock`] every signed time comes from |
//! | [`faults`], [`journal`] | scripted failures per endpoint; the requests received |
//! | [`config`] | the tenant TOML: APIs, applications, grants, token dialects; exchange profiles, Custom API clients, Token Vault, organizations, custom domains |
//! | [`exchange`] | the in-process actions exchange profiles call (Auth0's Custom Token Exchange Action) |
//! | `domains` | custom domains: one issuer per `Host`, one key set |
//! | [`state`], [`tls`] | the state directory (keys, CA, leaf certificate, last address); the CA |
//! | [`users`] | [`UserConfig`], [`RoleConfig`]: who can log in, profile claims by scope, RBAC permissions |
//! | [`user_login`] | [`Login`]: `tenant.login(email)` walks the browser flow over HTTP, returns the tokens |
//! | `server`, `token_endpoint` | the HTTP surface: discovery, JWKS, `POST /oauth/token` (client credentials with organizations, token exchange, On-Behalf-Of, Token Vault, authorization code, refresh token), `/oauth/revoke` |
//! | `authorize`, `login` | `GET /authorize` (validation, response modes, SSO, `prompt`), the login page `/u/login` |
//! | `session`, `codes`, `refresh`, `store` | sessions and login transactions (cookies), authorization codes, refresh token families; all bounded (`store::BoundedStore`) |
//! | `user_tokens`, `userinfo`, `logout`, `cors`, `html` | user access/ID tokens, `/userinfo`, `/v2/logout` + `/oidc/logout`, CORS, escaped HTML pages |
//!
//! The mock never depends on the verifier (`oauth2-jwt-bearer`) and the verifier never on the
//! mock outside its tests: each implements JOSE on its own, so a bug in one cannot hide the same
//! bug in the other.

mod access;
mod authorize;
pub mod clock;
mod codes;
pub mod config;
pub mod control;
mod cors;
mod dashboard;
mod domains;
pub mod exchange;

pub mod faults;
mod html;
pub mod jose;
pub mod journal;
pub mod keys;
mod login;
mod logout;
pub mod mint;
pub mod proof;
mod refresh;
mod server;
mod session;
pub mod spec;
pub mod state;
mod store;
pub mod tenant;
pub mod tls;
mod token_endpoint;
pub mod user_login;
mod user_tokens;
mod userinfo;
pub mod users;

pub use clock::Clock;
pub use config::{
    ApiConfig, AppType, ApplicationConfig, AuthMethod, ConfigError, Dialect, GrantType,
    RefreshTokenSettings, RotationType, TenantConfig,
};
pub use faults::{Endpoint, Fault};
pub use jose::{UnknownAlgorithm, ath, jwk_thumbprint};
pub use journal::RecordedRequest;
pub use keys::{KeyRing, SigAlg, SigningKey};
pub use mint::{Signing, TokenBuilder};
pub use proof::{DpopKey, ProofAlg, ProofBuilder};
pub use spec::{ProofSpec, SigningSpec, TokenSpec};
pub use state::StateDir;
pub use tenant::{BoundTenant, MockTenant, OverrideGuard, StartError, TenantBuilder};
pub use tls::TlsMaterial;
pub use user_login::{Login, LoginError, LoginTokens};
pub use users::{RoleConfig, UserConfig};
