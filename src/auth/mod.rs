//! Auth0 access-token and DPoP verification for axum services.
//!
//! Stricter than auth0-api-python (RFC 6750 / RFC 9449 / RFC 9068 / RFC 8725) and fast on
//! the hot path: verified tokens are cached by their exact string, so a repeated token costs
//! a hash lookup plus the time checks.
//!
//! Deliberate choices (statuses and challenges are documented on [`AuthError`]):
//! - Missing credentials and unsupported schemes: 401 with a challenge without error code.
//! - `invalid_dpop_proof`: 401 (RFC 9449 §7.1), where the Auth0 libraries send 400.
//! - No signing keys obtainable (tenant down, nothing cached): 401 `invalid_token`.
//! - Oversized `Authorization`: 400 `invalid_request` (not 431, so a challenge is sent).
//! - `exp`/`nbf` leeway defaults to 0 s (parity with auth0-api-python); `iat` may be at most
//!   60 s (+ leeway) in the future.

mod axum;
mod claims;
mod dpop;
mod error;
mod jose;
mod metadata;
mod nonce;
mod options;
mod replay;
mod request;
mod token_cache;
mod verifier;

#[cfg(test)]
mod tests;

pub use self::axum::{
    AuthLayer, AuthService, Authenticated, VerifiedRequest, auth_layer, require_scope,
};
pub use claims::Claims;
pub use error::{AuthError, AuthRejection, DPOP_ALGS, REALM, Scheme, sanitize};
pub use metadata::Stats;
pub use options::{
    Algorithm, Clock, ConfigError, DomainResolver, DpopMode, SystemClock, TokenProfile,
    VerifierOptions,
};
pub use replay::{InMemoryReplayStore, ReplayStore};
pub use request::{MAX_AUTHORIZATION_LEN, RequestContext};
pub use verifier::{Verified, Verifier};
