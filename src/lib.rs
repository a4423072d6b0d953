//! protected-api: the Auth0 API quickstart in Rust, on a strict token verifier.
//!
//! The verifier it stands on is its own crate, [`oauth2_jwt_bearer`] (Bearer and DPoP, RFC 6750 /
//! 9068 / 9449), which any axum service can use without this one.
//! - [`app`]: the quickstart's routes as one `Router`.
//! - [`config`] and [`server`]: settings from `.env` and how the binaries start the server.
//! - [`upstream`]: `GET /api/upstream`, which calls a second API on the caller's behalf
//!   (token exchange, On-Behalf-Of).

pub mod app;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(feature = "demo")]
pub mod demo_page;
pub mod errors;
pub mod server;
pub mod upstream;
