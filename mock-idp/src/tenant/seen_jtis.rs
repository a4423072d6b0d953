//! The DPoP proofs seen at the token endpoint, for replay detection (RFC 9449 §11.1): a
//! bounded store any client without a secret writes to (the public SPA client's refresh
//! grant), so it is capped in entries and bytes and a `jti` is capped in length.

use std::sync::Mutex;

use crate::tenant::store::{BoundedStore, WhenFull};

/// Whether a proof is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstUse {
    /// First seen now; remembered.
    Yes,
    /// Seen before: a replay.
    Replayed,
    /// The store is full of live proofs: not remembered, so not accepted.
    StoreFull,
}

/// Longest `jti` accepted (characters), as the verifier: a `jti` is a random id, and an
/// unbounded one let an unauthenticated client pin megabytes per proof (review M1).
pub(crate) const MAX_JTI: usize = 256;
/// At most this many proofs are remembered for replay detection ...
pub(crate) const MAX_SEEN_JTIS: usize = 100_000;
/// ... and at most this many bytes of them.
pub(crate) const MAX_SEEN_JTI_BYTES: usize = 16 << 20;

/// The proofs seen at the token endpoint within their acceptance window, keyed by (key
/// thumbprint, `jti`) so one client's `jti` never blocks another's, ordered by expiry. When it
/// is full of live proofs it refuses new ones (503) rather than forget one, which would let a
/// captured proof be replayed.
#[derive(Debug)]
pub(crate) struct SeenJtis(Mutex<BoundedStore<(String, String), ()>>);

impl Default for SeenJtis {
    fn default() -> Self {
        SeenJtis(Mutex::new(BoundedStore::new(
            MAX_SEEN_JTIS,
            MAX_SEEN_JTI_BYTES,
            WhenFull::Refuse,
        )))
    }
}

impl SeenJtis {
    /// Records the first use of (`jkt`, `jti`) until `expires_at`.
    pub(crate) fn first_use(&self, jkt: &str, jti: &str, expires_at: i64, now: i64) -> FirstUse {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let key = (jkt.to_owned(), jti.to_owned());
        if seen.get(&key, now).is_some() {
            return FirstUse::Replayed;
        }
        match seen.try_insert(key, (), expires_at, now) {
            Ok(()) => FirstUse::Yes,
            Err(_) => FirstUse::StoreFull,
        }
    }
}
