//! DPoP proof replay detection (RFC 9449 §11.1): each (key thumbprint, jti) is accepted once
//! within the proof window.
//!
//! One process: [`InMemoryReplayStore`] (the default). Several replicas behind one load
//! balancer: each must see the proofs the others accepted, so they share a store; with the
//! `redis` feature, [`RedisReplayStore`] is that store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;

use super::options::{Clock, SystemClock};

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::{DEFAULT_REDIS_TIMEOUT, RedisReplayStore, RedisReplayStoreError};

/// Remembers proof identifiers until they expire. Shared implementations (e.g. Redis) let
/// several replicas see each other's proofs.
///
/// The method returns a boxed future so that the trait stays usable as `dyn ReplayStore` and a
/// networked store can await its server. For the in-memory store the future is already
/// complete when returned: the cost is one small allocation, next to the ES256 signature check
/// every DPoP request pays anyway.
pub trait ReplayStore: Send + Sync {
    /// Atomically record `key` until `expires_at` (unix seconds) unless it is already recorded.
    /// `Ok(true)`: the key was not seen before (fresh); `Ok(false)`: a replay. Keys are
    /// fixed-size hashes of (jkt, jti).
    ///
    /// `Err` when the store cannot answer (down, slow, unexpected reply). The verifier then
    /// refuses the proof (fails closed, [`super::AuthError::ReplayStoreUnavailable`]): a proof
    /// that could not be checked is never accepted. Implementations bound their own wait.
    fn check_and_insert<'a>(
        &'a self,
        key: &'a str,
        expires_at: f64,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>>;
}

/// Why a replay store could not answer. The verifier logs it and answers 503 (never shown to
/// the client).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayStoreError {
    /// No answer within the store's timeout (server down, overloaded or unreachable).
    #[error("the replay store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store answered with an error, or the connection failed.
    #[error("the replay store failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// In-process store with bounded memory. Keys are the caller's fixed-size hashes. When full
/// after dropping expired entries, the oldest entry is evicted (documented trade-off: under a
/// flood of valid proofs the oldest proof could be replayed; size it above your peak
/// proofs-per-window).
pub struct InMemoryReplayStore {
    capacity: usize,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for InMemoryReplayStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryReplayStore")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, f64>,
    order: VecDeque<(f64, String)>,
}

impl InMemoryReplayStore {
    /// A store holding at most `capacity` entries, timed by the system clock.
    pub fn new(capacity: usize) -> Self {
        Self::with_clock(capacity, Arc::new(SystemClock))
    }

    /// A store timed by `clock` (the verifier passes its own, so tests can move time).
    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            capacity: capacity.max(1),
            clock,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Entries currently held.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReplayStore for InMemoryReplayStore {
    fn check_and_insert<'a>(
        &'a self,
        key: &'a str,
        expires_at: f64,
    ) -> BoxFuture<'a, Result<bool, ReplayStoreError>> {
        Box::pin(std::future::ready(Ok(
            self.check_and_insert_sync(key, expires_at)
        )))
    }
}

impl InMemoryReplayStore {
    /// [`ReplayStore::check_and_insert`] without the future: this store cannot fail or wait.
    pub fn check_and_insert_sync(&self, key: &str, expires_at: f64) -> bool {
        let now = self.clock.now();
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *g;
        // Sweep from the front (insertion order ~ expiry order): expired entries always,
        // and the oldest live ones while the store is full.
        while let Some((exp, _)) = inner.order.front() {
            if *exp > now && inner.map.len() < self.capacity {
                break;
            }
            if let Some((exp, k)) = inner.order.pop_front()
                && inner.map.get(&k) == Some(&exp)
            {
                inner.map.remove(&k);
            }
        }
        if let Some(exp) = inner.map.get(key)
            && *exp > now
        {
            return false;
        }
        inner.map.insert(key.to_owned(), expires_at);
        inner.order.push_back((expires_at, key.to_owned()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct At(Mutex<f64>);
    impl Clock for At {
        fn now(&self) -> f64 {
            *self.0.lock().unwrap()
        }
    }

    #[test]
    fn fresh_then_replayed_then_expired() {
        let clock = Arc::new(At(Mutex::new(0.0)));
        let s = InMemoryReplayStore::with_clock(10, clock.clone());
        assert!(s.check_and_insert_sync("a", 100.0));
        *clock.0.lock().unwrap() = 50.0;
        assert!(!s.check_and_insert_sync("a", 100.0));
        *clock.0.lock().unwrap() = 101.0;
        assert!(s.check_and_insert_sync("a", 300.0));
        assert_eq!(s.len(), 1, "expired entries are swept");
    }

    #[tokio::test]
    async fn the_trait_answers_like_the_sync_path() {
        let s = InMemoryReplayStore::with_clock(10, Arc::new(At(Mutex::new(0.0))));
        let store: &dyn ReplayStore = &s;
        let fresh = store.check_and_insert("a", 100.0).await;
        assert!(fresh.unwrap());
        let replay = store.check_and_insert("a", 100.0).await;
        assert!(!replay.unwrap());
    }

    #[test]
    fn bounded() {
        let clock = Arc::new(At(Mutex::new(0.0)));
        let s = InMemoryReplayStore::with_clock(3, clock);
        for i in 0..100 {
            assert!(s.check_and_insert_sync(&format!("k{i}"), 1000.0));
        }
        assert!(s.len() <= 3);
        assert!(!s.check_and_insert_sync("k99", 1000.0));
    }
}
