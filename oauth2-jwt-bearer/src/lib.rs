//! OAuth 2.0 JWT access-token and DPoP verification (RFC 6750 / 9068 / 9449 / 8725) for tenants
//! that publish OIDC discovery and a JWKS, such as Auth0; axum extractors and layers on top.
//!
//! Stricter than auth0-api-python and fast on the hot path: verified tokens are cached by their
//! exact string, so a repeated token costs a hash lookup plus the time checks.
//!
//! # Use
//! ```
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! # #[cfg(feature = "axum")]
//! # fn main() -> Result<(), oauth2_jwt_bearer::ConfigError> {
//! use axum::routing::get;
//! use oauth2_jwt_bearer::{Authenticated, Verifier, VerifierOptions, auth_layer, require_scope};
//!
//! let verifier = Verifier::new(
//!     VerifierOptions::new("tenant.eu.auth0.com", "https://api.example.com")
//!         .public_base_url("https://api.example.com"), // what DPoP `htu` is compared with
//! )?;
//! let app: axum::Router = axum::Router::new()
//!     .route("/api/private", get(|Authenticated(claims): Authenticated| async move {
//!         format!("hello {}", claims.sub().unwrap_or_default())
//!     }))
//!     .route(
//!         "/api/private-scoped",
//!         get(|| async { "scoped" }).route_layer(require_scope(verifier.clone(), "read:messages")),
//!     )
//!     .route("/api/public", get(|| async { "public" }))
//!     // the quickstart's guard: everything but the public paths needs a valid token
//!     .layer(auth_layer(verifier.clone(), &["/api/public"]))
//!     .with_state(verifier);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//! Without axum (`default-features = false`), build a [`RequestContext`] from your framework's
//! request and call [`Verifier::verify_request`]; [`AuthRejection::to_parts`] gives the status,
//! headers (`WWW-Authenticate`, `DPoP-Nonce`, `Retry-After`) and JSON body to answer with.
//!
//! # Layout
//! The request path is one straight function, `Verifier::verify_token` (with `dispatch` for the
//! scheme) in `verifier`, calling one module per step: `axum` (the request's target) ->
//! `bearer` (what the request says) -> `token_cache` (a verified token seen before) -> `jose`
//! (structure, alg policy) -> `claims` (`typ`) -> `jwks` (the tenant's keys, signature) ->
//! `claims` (the claims) -> `dpop/` (the proof, nonce, replay) -> `error` (the answer). Start
//! reading at `verifier`. Every module:
//!
//! | module | what it holds |
//! |---|---|
//! | `bearer` | [`RequestContext`]; the `Authorization` and `DPoP` fields, read once (RFC 6750 §2.1, RFC 9449 §7) |
//! | `scheme` | [`Scheme`] and [`DpopMode`]: which schemes a request may use |
//! | `host` | [`Authority`]: the `Host` a DPoP `htu` may be built from, and `allowed_hosts` |
//! | `verifier` | [`Verifier`]: the request path below, and the verified-token cache around it |
//! | `jose`, `claims`, `token_cache` | compact JWS parsing and the [`Algorithm`] policy; typed claim checks; the verified-token cache |
//! | `jwks` | discovery and JWKS: fetch, cache, refresh on unknown `kid` or expiry, bounded stale-if-error |
//! | `signing_secret` | the HS256 key of an API Auth0 signs with its signing secret (never from a JWKS) |
//! | `dpop/` | `proof` (RFC 9449 §4.3 checks), `nonce` (server nonces), `replay` (`jti` store: memory, Redis) |
//! | `error`, `reason` | [`AuthError`] (status, error code, challenge), [`ConfigError`], and the typed reasons behind them |
//! | `options`, `clock`, `http_trust` | [`VerifierOptions`]; [`Clock`]; the timeout and extra CA every tenant call uses |
//! | `axum` | extractors, [`require_scope`], [`auth_layer`] (feature `axum`) |
//! | `log_every` | one log line per interval for events that can repeat on every request |
//! | [`resource_metadata`] | RFC 9728 protected-resource metadata: the document, its URL, the challenge's `resource_metadata`, a route |
//! | `mutant` | tests only (feature `mutants`): one check switched off, for the conformance suite's mutant table |
//! | [`exchange`] | the token-exchange *client* (auth0-api-python's helpers) and the `act` claim helpers |
//!
//! # The request path
//! `Authorization` (+ `DPoP`) -> structure (size, 3 segments, strict base64url, JSON objects,
//! no `crit`, no `b64`) -> alg policy (RS256 by default; `none`/HS*/unknown refused before any
//! network call; HS256 only with a signing secret configured) -> `typ` policy -> issuer
//! allow-list (`iss` must be exactly `https://{domain}/`) -> discovery + JWKS (cached), or the
//! signing secret for HS256 -> signature -> typed claims -> DPoP proof
//! (RFC 9449 §4.3) -> nonce -> `cnf.jkt` binding -> replay store -> [`Verified`].
//!
//! # Statuses and challenges (one `WWW-Authenticate` value listing every challenge)
//! | Case | Status | Error code |
//! |---|---|---|
//! | no `Authorization` (also: only a `DPoP` field, `Proxy-Authorization`) | 401 | none |
//! | unsupported scheme (`Basic`, `DPoP` when disabled) | 401 | none |
//! | `Bearer` when DPoP is required | 401 | none (`DPoP algs="ES256"` only) |
//! | `Bearer`/`DPoP` (a scheme the mode accepts) without token, TAB separator, bad b64token chars | 400 | `invalid_request` |
//! | two `Authorization` fields (error on every challenge) | 400 | `invalid_request` |
//! | `Authorization` over 16 KiB | 400 | `invalid_request` |
//! | unbound `Bearer` token plus a `DPoP` field (DPoP allowed) | 400 | `invalid_request` |
//! | any token failure; bound token under `Bearer`; unbound token under `DPoP`; key binding mismatch | 401 | `invalid_token` |
//! | no signing keys obtainable and none cached (fail closed) | 401 | `invalid_token` |
//! | `DPoP` scheme without proof; any proof failure; replay | 401 | `invalid_dpop_proof` |
//! | server nonce missing/wrong (with one `DPoP-Nonce` header) | 401 | `use_dpop_nonce` |
//! | missing scope (on the challenge of the scheme used, with `scope="…"`) | 403 | `insufficient_scope` |
//! | (axum glue) `Host` not a bare `host[:port]`, or two `Host` fields | 400 | `invalid_request` |
//! | (axum glue) `Host` or absolute-form authority outside [`VerifierOptions::allowed_hosts`] | 421 | none, no challenge; body `misdirected_request` |
//! | DPoP request while the replay store cannot answer (fail closed; `Retry-After: 1`) | 503 | none on the challenge; body `temporarily_unavailable` |
//! | DPoP request while the replay store is full of live entries (`Retry-After`: until the earliest expires) | 503 | none on the challenge; body `temporarily_unavailable` |
//! | DPoP request from a key holding its whole share of the in-memory store (`Retry-After`: until its entries expire) | 429 | none on the challenge; body `temporarily_unavailable` |
//!
//! Examples (DPoP allowed): `Bearer realm="api", DPoP algs="ES256"`;
//! `Bearer realm="api", error="invalid_token", error_description="Token is expired", DPoP algs="ES256"`;
//! `Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="DPoP proof replayed", algs="ES256"`.
//!
//! A replay-store outage (e.g. the Redis shared by several replicas is down or slower than its
//! timeout) refuses DPoP requests with 503 rather than accepting unchecked proofs, and rather
//! than 401 `invalid_dpop_proof`: the proof may be perfectly good, and a 401 would tell the
//! client to fix something it cannot fix. The challenge is the mode's bare one (no RFC 6750/9449
//! error code names a server-side outage); the cause is logged at `error`, never shown. Bearer
//! requests never touch the store.
//!
//! # Token exchange (auth0-api-python's client helpers)
//! [`exchange::TokenExchangeClient`] exchanges tokens at the tenant's token endpoint as the
//! API's own confidential application (HTTP Basic with its client id and secret), only at a
//! token endpoint on the tenant's own domain, after the same input checks as
//! auth0-api-python. Its errors know their status (the endpoint's own, 400 for bad input, 502
//! network, 504 timeout) and keep a 429's `Retry-After` / `x-ratelimit-*`. The mapping to
//! auth0-api-python's names is in [`exchange`].
//!
//! # Deliberate differences from auth0-api-python
//! - Missing credentials and unsupported schemes: 401 (RFC 6750 §3.1), not 400.
//! - `invalid_dpop_proof`: 401 (RFC 9449 §7.1), not 400.
//! - `nbf` checked; `exp`/`nbf` leeway configurable (default 0 s, parity); `iat` may be at
//!   most 60 s (+ leeway) in the future; NumericDates must be JSON numbers.
//! - Unknown `kid`: one JWKS refresh per cooldown (30 s), whatever asks for it (unknown
//!   `kid`, expired keys, retries while the tenant is down); concurrent misses share one
//!   fetch, which runs in its own task so cancelled requests neither abort it nor free the
//!   cooldown. The TTL (`Cache-Control: max-age`, capped by `cache_ttl`) is never below the
//!   cooldown. Stale keys serve while the tenant is down, at most `jwks_max_stale` (24 h)
//!   past their expiry; then 401 `invalid_token`.
//! - JWK `use`, `alg`, `key_ops`, RSA size (2048..=8192) and exponent respected; a JWK with
//!   private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) is refused; a token
//!   without `kid` tries every usable key; duplicate kids try each candidate.
//! - Every `invalid_token` decided before or by the signature check is described
//!   `Invalid token` (no oracle for which check failed); the reason is logged at `info` with
//!   the `kid`.
//! - The discovery `issuer` must equal `https://{domain}/`; `jwks_uri` must be https;
//!   redirects are not followed; bodies are capped (512 KiB).
//! - DPoP proof `iat` window: 60 s past / 10 s future (plus `clock_leeway`), not 300 s / 30 s;
//!   the replay store keeps each proof until its `iat` leaves the window, never less, and
//!   refuses new proofs rather than forget one (see [`replay::InMemoryReplayStore`]).
//! - `htm` compared case-sensitively; `htu` RFC 3986-normalised (unreserved escapes decoded);
//!   proof `exp`/`nbf` honoured; `jti` replay store; optional server nonces.
//! - Descriptions are fixed strings within the RFC 6750 §3 character set.
//! - A `cnf.jkt`-bound token is refused under `Bearer` even when DPoP is disabled; a `cnf`
//!   with other confirmation methods is refused.
//!
//! # Speed
//! Verified tokens are cached by their exact string (bounded, success only); a hit re-checks
//! `exp`/`nbf` against the clock, the issuer allow-list and required claims, and costs about
//! 0.2 µs, plus the key check: a hit is served only while the key that verified the token is
//! in the tenant's current JWKS (two read locks and a generation compare), within
//! `jwks_max_stale`. A hit on expired keys refreshes them in the background, so a withdrawn
//! key stops working within one TTL. The cache is dropped when a refresh removes a key, and
//! an insert racing that clear is dropped (epoch).

#[cfg(feature = "axum")]
mod axum;
mod bearer;
mod claims;
mod clock;
mod dpop;
mod error;
pub mod exchange;
mod host;
mod http_trust;
mod jose;
mod jwks;
mod log_every;
mod mutant;
mod options;
mod reason;
pub mod resource_metadata;

/// Where the verifier records each DPoP proof's `jti` to refuse replays (RFC 9449 §11.1): in
/// memory and bounded by default ([`InMemoryReplayStore`](replay::InMemoryReplayStore)),
/// Redis shared by replicas with the `redis` feature, or any [`ReplayStore`](replay::ReplayStore)
/// given to [`VerifierOptions::replay_store`].
pub mod replay {
    pub use crate::dpop::replay::{
        InMemoryReplayStore, ReplayCheck, ReplayStore, ReplayStoreError,
    };
    #[cfg(feature = "redis")]
    pub use crate::dpop::replay::{RedisReplayStore, RedisReplayStoreError};
}
mod scheme;
mod signing_secret;
mod striped_counter;
mod token_cache;
mod verifier;

#[cfg(test)]
mod tests;

#[cfg(feature = "axum")]
pub use self::axum::{
    AuthLayer, AuthService, Authenticated, VerifiedRequest, auth_layer, require_scope,
};
pub use bearer::RequestContext;
pub use claims::Claims;
pub use clock::{Clock, SystemClock};
pub use error::{AuthError, AuthRejection, ConfigError};
pub use host::{Authority, AuthorityError};
pub use jose::{Algorithm, UnknownAlgorithm};
pub use jwks::Stats;
#[cfg(feature = "mutants")]
pub use mutant::Mutant;
pub use options::{DomainResolver, TokenProfile, VerifierOptions};
pub use reason::{ProofError, RequestError, TokenError};
pub use scheme::{DpopMode, Scheme};
pub use verifier::{Verified, Verifier};
