//! Unit tests of the whole request path: a wiremock tenant on 127.0.0.1 serves discovery and
//! JWKS over plain HTTP (test-only option); tokens are minted with the fixture keys and
//! DPoP proofs signed with aws-lc-rs.

pub(crate) mod support;

mod challenges;
mod dpop;
mod https;
mod jsonwebtoken_contrast;
mod jwks;
mod key_lifecycle;
mod robustness;
mod tokens;
mod web;
