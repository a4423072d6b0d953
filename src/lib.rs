//! protected-api: the Auth0 API quickstart in Rust, on a strict token verifier.
//!
//! - [`auth`]: the verifier library (Bearer and DPoP, RFC 6750 / 9068 / 9449), usable by any axum
//!   service through its extractor, scope check and guard layer.
//! - [`app`]: the quickstart's routes as one `Router`.
//! - [`config`] and [`server`]: settings from `.env` and how the binaries start the server.

pub mod app;
pub mod auth;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod errors;
pub mod server;
