//! Minting: access tokens good and bad, DPoP proofs, both as data (specs), and the tokens a
//! logged-in user gets. The JOSE encodings they share are in `crate::jose`.
//!
//! | module | what it holds |
//! |---|---|
//! | `token` | `TokenBuilder`: every good and bad access token; `Signing` says how it is signed |
//! | `dpop_key` | `DpopKey` and `ProofAlg`: DPoP client keys (EC, Ed25519, fixture RSA) |
//! | `proof` | `ProofBuilder`: DPoP proofs with every field settable or wrong |
//! | `spec` | `TokenSpec` and `ProofSpec`: tokens and proofs as data (CLI flags, control API JSON) |
//! | `user_tokens` | user access and ID tokens for the browser grants; the check of tokens this tenant signed |

pub(crate) mod dpop_key;
pub(crate) mod proof;
pub(crate) mod spec;
pub(crate) mod token;
pub(crate) mod user_tokens;
