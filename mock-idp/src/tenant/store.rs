//! A bounded map with expiry: what the code, refresh token, session and login stores are
//! built on. A mock tenant may run for days under a load test; none of its stores may grow
//! without bound.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A map of at most `capacity` entries, each with an expiry time (unix seconds).
///
/// Every insert first drops the entries that have expired; inserting into a map that is still
/// full drops the entry that expires soonest: a long-running tenant forgets its oldest state,
/// never runs out of memory. An index ordered by expiry keeps both O(log n). Lookups ignore
/// expired entries.
#[derive(Debug)]
pub(crate) struct BoundedStore<K, V> {
    capacity: usize,
    entries: HashMap<K, Entry<V>>,
    /// (expiry, insertion number) -> key: the soonest-expiring entry first.
    by_expiry: BTreeMap<(i64, u64), K>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry<V> {
    expires_at: i64,
    seq: u64,
    value: V,
}

impl<K: Eq + Hash + Clone, V> BoundedStore<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedStore {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            by_expiry: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Inserts `value`, valid until `expires_at`, making room if the store is full.
    pub(crate) fn insert(&mut self, key: K, value: V, expires_at: i64, now: i64) {
        self.remove(&key);
        while let Some(entry) = self.by_expiry.first_entry() {
            let expired = entry.key().0 <= now;
            if !(expired || self.entries.len() >= self.capacity) {
                break;
            }
            let k = entry.remove();
            self.entries.remove(&k);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_expiry.insert((expires_at, seq), key.clone());
        self.entries.insert(
            key,
            Entry {
                expires_at,
                seq,
                value,
            },
        );
    }

    /// The live entry for `key`.
    pub(crate) fn get(&self, key: &K, now: i64) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|e| e.expires_at > now)
            .map(|e| &e.value)
    }

    /// The live entry for `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &K, now: i64) -> Option<&mut V> {
        self.entries
            .get_mut(key)
            .filter(|e| e.expires_at > now)
            .map(|e| &mut e.value)
    }

    /// Moves `key`'s expiry.
    pub(crate) fn set_expiry(&mut self, key: &K, expires_at: i64) {
        if let Some(e) = self.entries.get_mut(key) {
            self.by_expiry.remove(&(e.expires_at, e.seq));
            e.expires_at = expires_at;
            self.by_expiry.insert((expires_at, e.seq), key.clone());
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let e = self.entries.remove(key)?;
        self.by_expiry.remove(&(e.expires_at, e.seq));
        Some(e.value)
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
