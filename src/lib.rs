//! protected-api: the Auth0 API quickstart in Rust, on a strict token verifier.

pub mod auth;
