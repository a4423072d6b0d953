//! Unit tests of the whole request path against one test tenant: `mock_idp::MockTenant`, on
//! 127.0.0.1 over HTTPS with its own CA, which the verifier trusts through `ca_pem` (as a
//! deployment would a private CA). There is no plain-HTTP test mode: the verifier under test
//! is the production one.
//!
//! `support::Env` starts one tenant per test (milliseconds) and a verifier whose clock is the
//! tenant's virtual clock, frozen at `support::NOW`, so moving time moves both. Tokens and
//! DPoP proofs come from the tenant's builders (`TokenBuilder`, `ProofBuilder`) with the fixed
//! keys, with exact headers and claims where a test needs them. A misbehaving tenant is the
//! same tenant with faults (`Fault::Status`, `Delay`, `Redirect`, `Respond`...) or overrides
//! (JWKS, discovery document, `Cache-Control`); fetch counts come from the tenant.

pub(crate) mod support;

mod challenges;
mod dpop;
mod exchange;
mod https;
mod jsonwebtoken_contrast;
mod jwks;
mod key_lifecycle;
#[cfg(feature = "axum")]
mod resource_metadata;
mod robustness;
mod tokens;
#[cfg(feature = "axum")]
mod web;
