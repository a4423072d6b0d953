//! A bounded map with expiry: what the code, refresh token, session and login stores are
//! built on. A mock tenant may run for days under a load test; none of its stores may grow
//! without bound.

use std::collections::HashMap;
use std::hash::Hash;

/// A map of at most `capacity` entries, each with an expiry time (unix seconds).
///
/// Inserting into a full map first drops expired entries, then the entry that expires soonest:
/// a long-running tenant forgets its oldest state, never runs out of memory. Lookups ignore
/// expired entries.
#[derive(Debug)]
pub(crate) struct BoundedStore<K, V> {
    capacity: usize,
    entries: HashMap<K, (i64, V)>,
}

impl<K: Eq + Hash + Clone, V> BoundedStore<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedStore {
            capacity: capacity.max(1),
            entries: HashMap::new(),
        }
    }

    /// Inserts `value`, valid until `expires_at`, making room if the store is full.
    pub(crate) fn insert(&mut self, key: K, value: V, expires_at: i64, now: i64) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.entries.retain(|_, (exp, _)| *exp > now);
            if self.entries.len() >= self.capacity
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (exp, _))| *exp)
                    .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (expires_at, value));
    }

    /// The live entry for `key`.
    pub(crate) fn get(&self, key: &K, now: i64) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|(exp, _)| *exp > now)
            .map(|(_, v)| v)
    }

    /// The live entry for `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &K, now: i64) -> Option<&mut V> {
        self.entries
            .get_mut(key)
            .filter(|(exp, _)| *exp > now)
            .map(|(_, v)| v)
    }

    /// Moves `key`'s expiry.
    pub(crate) fn set_expiry(&mut self, key: &K, expires_at: i64) {
        if let Some((exp, _)) = self.entries.get_mut(key) {
            *exp = expires_at;
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key).map(|(_, v)| v)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedStore;

    #[test]
    fn full_store_drops_expired_then_soonest_expiring() {
        let mut s = BoundedStore::new(2);
        s.insert("a", 1, 10, 0);
        s.insert("b", 2, 20, 0);
        s.insert("c", 3, 30, 0); // full, nothing expired: "a" (soonest) goes
        assert_eq!(s.len(), 2);
        assert!(s.get(&"a", 0).is_none());
        s.insert("d", 4, 40, 25); // "b" expired at 20
        assert!(s.get(&"b", 0).is_none());
        assert_eq!(s.get(&"c", 25), Some(&3));
        assert!(
            s.get(&"c", 30).is_none(),
            "expired entries are not returned"
        );
    }
}
