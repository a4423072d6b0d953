//! A bounded map with expiry: what the code, refresh token, session, login and DPoP `jti`
//! stores are built on. A mock tenant may run for days under a load test, and anyone who can
//! reach its port can write to some of them: none may grow without bound, in entries or in
//! bytes.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// What an entry costs in memory, roughly: the bytes of its strings plus a fixed overhead.
/// The store counts it against its byte budget, so an approximation that grows with the input
/// is what matters, not the exact allocator figure.
pub(crate) trait Footprint {
    fn footprint(&self) -> usize;
}

impl Footprint for String {
    fn footprint(&self) -> usize {
        self.len() + 24
    }
}

impl<T: Footprint> Footprint for Option<T> {
    fn footprint(&self) -> usize {
        self.as_ref().map_or(0, Footprint::footprint) + 8
    }
}

impl<T: Footprint> Footprint for Vec<T> {
    fn footprint(&self) -> usize {
        self.iter().map(Footprint::footprint).sum::<usize>() + 24
    }
}

impl<A: Footprint, B: Footprint> Footprint for (A, B) {
    fn footprint(&self) -> usize {
        self.0.footprint() + self.1.footprint()
    }
}

impl Footprint for () {
    fn footprint(&self) -> usize {
        0
    }
}

/// Fixed cost of an entry beyond its key and value: the two index nodes and the header.
const ENTRY_OVERHEAD: usize = 96;

/// What a full store does with a new entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// Drop the entry that expires soonest: the store forgets its oldest state (sessions,
    /// codes, refresh tokens: a long-running tenant never runs out of memory).
    EvictSoonest,
    /// Refuse the new entry: live entries are never pushed out by a flood (DPoP `jti`s, whose
    /// eviction would reopen a captured proof; pending logins, whose eviction locks out the
    /// user who is typing a password).
    Refuse,
}

/// The store is full of live entries and refuses new ones ([`WhenFull::Refuse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// A map of at most `capacity` entries and `max_bytes` bytes ([`Footprint`]), each entry with
/// an expiry time (unix seconds).
///
/// Every insert first drops the entries that have expired; a store still full then follows its
/// [`WhenFull`] policy. An index ordered by expiry keeps both O(log n). Lookups ignore expired
/// entries.
#[derive(Debug)]
pub(crate) struct BoundedStore<K, V> {
    capacity: usize,
    max_bytes: usize,
    when_full: WhenFull,
    bytes: usize,
    entries: HashMap<K, Entry<V>>,
    /// (expiry, insertion number) -> key: the soonest-expiring entry first.
    by_expiry: BTreeMap<(i64, u64), K>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry<V> {
    expires_at: i64,
    seq: u64,
    bytes: usize,
    value: V,
}

impl<K: Eq + Hash + Clone + Footprint, V: Footprint> BoundedStore<K, V> {
    pub(crate) fn new(capacity: usize, max_bytes: usize, when_full: WhenFull) -> Self {
        BoundedStore {
            capacity: capacity.max(1),
            max_bytes,
            when_full,
            bytes: 0,
            entries: HashMap::new(),
            by_expiry: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Inserts `value`, valid until `expires_at`, making room if the store is full (or, for a
    /// [`WhenFull::Refuse`] store, refusing). An entry larger than the whole budget is refused
    /// by either policy.
    pub(crate) fn try_insert(
        &mut self,
        key: K,
        value: V,
        expires_at: i64,
        now: i64,
    ) -> Result<(), Full> {
        let size = key.footprint() + value.footprint() + ENTRY_OVERHEAD;
        if size > self.max_bytes {
            return Err(Full);
        }
        self.remove(&key);
        self.drain_expired(now);
        let fits = |s: &Self| s.entries.len() < s.capacity && s.bytes + size <= s.max_bytes;
        while !fits(self) {
            if self.when_full == WhenFull::Refuse {
                return Err(Full);
            }
            let Some(entry) = self.by_expiry.first_entry() else {
                break;
            };
            let k = entry.remove();
            if let Some(e) = self.entries.remove(&k) {
                self.bytes -= e.bytes;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_expiry.insert((expires_at, seq), key.clone());
        self.bytes += size;
        self.entries.insert(
            key,
            Entry {
                expires_at,
                seq,
                bytes: size,
                value,
            },
        );
        Ok(())
    }

    /// [`Self::try_insert`] for an evicting store, where only an entry bigger than the whole
    /// budget is refused (and then silently dropped: it could never be kept).
    pub(crate) fn insert(&mut self, key: K, value: V, expires_at: i64, now: i64) {
        let _ = self.try_insert(key, value, expires_at, now);
    }

    /// Removes and returns the entries that expired by `now`.
    pub(crate) fn drain_expired(&mut self, now: i64) -> Vec<(K, V)> {
        let mut out = Vec::new();
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let k = entry.remove();
            if let Some(e) = self.entries.remove(&k) {
                self.bytes -= e.bytes;
                out.push((k, e.value));
            }
        }
        out
    }

    /// The live entry for `key`.
    pub(crate) fn get(&self, key: &K, now: i64) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|e| e.expires_at > now)
            .map(|e| &e.value)
    }

    /// The live entry for `key`, mutably. Its footprint must not grow (callers flip flags and
    /// swap fixed-size ids).
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
        self.bytes -= e.bytes;
        Some(e.value)
    }

    /// Entries held (live or not yet swept).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held, by [`Footprint`].
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::{BoundedStore, Full, WhenFull};

    #[test]
    fn full_store_drops_expired_then_soonest_expiring() {
        let mut s = BoundedStore::new(2, usize::MAX, WhenFull::EvictSoonest);
        s.insert("a".to_owned(), (), 10, 0);
        s.insert("b".to_owned(), (), 20, 0);
        s.insert("c".to_owned(), (), 30, 0); // full, nothing expired: "a" (soonest) goes
        assert_eq!(s.len(), 2);
        assert!(s.get(&"a".to_owned(), 0).is_none());
        s.insert("d".to_owned(), (), 40, 25); // "b" expired at 20
        assert!(s.get(&"b".to_owned(), 0).is_none());
        assert_eq!(s.get(&"c".to_owned(), 25), Some(&()));
        assert!(
            s.get(&"c".to_owned(), 30).is_none(),
            "expired entries are not returned"
        );
    }

    #[test]
    fn the_byte_budget_bounds_what_the_entry_count_would_allow() {
        let mut s = BoundedStore::new(1_000, 10_000, WhenFull::EvictSoonest);
        for i in 0..100 {
            s.insert(format!("{i:0>1000}"), (), 100 + i, 0);
        }
        assert!(s.bytes() <= 10_000, "{}", s.bytes());
        assert_eq!(s.len(), 8, "1,120 bytes an entry");
        // An entry bigger than the whole budget is never kept.
        s.insert("x".repeat(20_000), (), 1_000, 0);
        assert!(s.get(&"x".repeat(20_000), 0).is_none());
    }

    #[test]
    fn a_refusing_store_keeps_its_live_entries() {
        let mut s = BoundedStore::new(2, usize::MAX, WhenFull::Refuse);
        assert_eq!(s.try_insert("a".to_owned(), (), 10, 0), Ok(()));
        assert_eq!(s.try_insert("b".to_owned(), (), 20, 0), Ok(()));
        assert_eq!(s.try_insert("c".to_owned(), (), 30, 0), Err(Full));
        assert!(s.get(&"a".to_owned(), 0).is_some());
        // Once one expires there is room again.
        assert_eq!(s.try_insert("c".to_owned(), (), 30, 10), Ok(()));
    }
}
