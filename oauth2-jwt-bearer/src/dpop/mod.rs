//! DPoP (RFC 9449): the proof checks of §4.3 (`proof`), stateless server nonces of §8-9
//! (`nonce`) and the `jti` replay store of §11.1 (`replay`: in memory, or Redis for replicas).

pub(crate) mod nonce;
pub(crate) mod proof;
pub(crate) mod replay;

pub(crate) use proof::{ProofRules, ValidProof, verify_proof};
