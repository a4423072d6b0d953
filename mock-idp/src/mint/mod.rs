//! Minting: access tokens good and bad, DPoP proofs, both as data (specs), the tokens a
//! logged-in user gets, and the JOSE encodings they share.
//!
//! | module | what it holds |
//! |---|---|
//! | `token` | `TokenBuilder`: every good and bad access token; `Signing` says how it is signed |
//! | `proof` | `DpopKey` and `ProofBuilder`: DPoP proofs with every field settable or wrong |
//! | `spec` | `TokenSpec` and `ProofSpec`: tokens and proofs as data (CLI flags, control API JSON) |
//! | `user_tokens` | user access and ID tokens for the browser grants; the check of tokens this tenant signed |
//! | `jose` | base64url, compact JWS assembly, RFC 7638 thumbprints, `ath` (public: `mock_idp::jose`) |

pub mod jose;
pub(crate) mod proof;
pub(crate) mod spec;
pub(crate) mod token;
pub(crate) mod user_tokens;
