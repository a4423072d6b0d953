//! DPoP proof replay detection (RFC 9449 §11.1): each (key thumbprint, jti) is accepted once
//! within the proof window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::options::{Clock, SystemClock};

/// Remembers proof identifiers until they expire. Shared implementations (e.g. Redis) let
/// several replicas see each other's proofs.
pub trait ReplayStore: Send + Sync {
    /// Record `key` until `expires_at` (unix seconds). Returns `true` when the key was not
    /// seen before (fresh), `false` on a replay. Keys are fixed-size hashes of (jkt, jti).
    fn check_and_insert(&self, key: &str, expires_at: f64) -> bool;
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
    fn check_and_insert(&self, key: &str, expires_at: f64) -> bool {
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
        assert!(s.check_and_insert("a", 100.0));
        *clock.0.lock().unwrap() = 50.0;
        assert!(!s.check_and_insert("a", 100.0));
        *clock.0.lock().unwrap() = 101.0;
        assert!(s.check_and_insert("a", 300.0));
        assert_eq!(s.len(), 1, "expired entries are swept");
    }

    #[test]
    fn bounded() {
        let clock = Arc::new(At(Mutex::new(0.0)));
        let s = InMemoryReplayStore::with_clock(3, clock);
        for i in 0..100 {
            assert!(s.check_and_insert(&format!("k{i}"), 1000.0));
        }
        assert!(s.len() <= 3);
        assert!(!s.check_and_insert("k99", 1000.0));
    }
}
