//! The tenant's RSA signing keys and the key ring behind its JWKS.
//!
//! Each key is parsed once and kept: re-parsing a PKCS#8 RSA key per token triples the cost of
//! issuing one. The ring separates "published" (in the JWKS) from "current" (signs new tokens),
//! which is what lets a test publish a next key before switching to it, as real tenants rotate.
//!
//! | module | what it holds |
//! |---|---|
//! | `signing_key`, `alg`, `error` | [`SigningKey`] (parse, fixtures, JWK, certificate, sign); [`SigAlg`]; [`KeyError`] |
//! | `ring` | [`KeyRing`]: published, current, retired and spare keys; rotation |
//! | `weak_rsa` | keys aws-lc refuses, signed by textbook RSA; the PKCS#1 v1.5 encoding |
//! | `der` | DER encoding and decoding, PEM armour, RSA integers of PKCS#1 / PKCS#8 |

mod alg;
mod der;
mod error;
mod ring;
mod signing_key;
mod weak_rsa;

pub use alg::SigAlg;
pub(crate) use der::pem_encode;
pub use error::KeyError;
pub use ring::KeyRing;
#[cfg(test)]
pub(crate) use ring::{MAX_PUBLISHED_KEYS, MAX_RETIRED_KEYS};
pub use signing_key::SigningKey;
pub(crate) use weak_rsa::pkcs1_v15_encoded_message;
