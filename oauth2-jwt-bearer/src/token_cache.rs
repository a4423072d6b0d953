//! The hot-path cache: exact token string -> verified claims. A hit skips parsing and the
//! RSA verification; the time claims, the issuer allow-list, required claims and the
//! binding rules are still checked on every request by the caller.
//!
//! Only tokens that passed every check are inserted, so an attacker cannot fill or evict
//! the cache with failures. A cached token never outlives its key:
//! - each entry records the key that verified it, and a hit whose key is no longer in the
//!   tenant's current JWKS is a miss (the caller asks the metadata cache);
//! - the whole cache is dropped when a JWKS refresh removes a key, and every clear bumps an
//!   epoch: a request that read the keys before the clear carries the old epoch, and its
//!   insert is dropped (otherwise a token verified with a withdrawn key could land in the
//!   cache just after the clear).
//!
//! Bound: at most `max` tokens (each at most 12 KiB plus its claims).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::claims::{Claims, TimeClaims};
use crate::jwks::{KeyEntry, Tenant};

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) claims: Claims,
    pub(crate) time: TimeClaims,
    /// The domain whose keys verified it (re-checked against the allow-list on a hit).
    pub(crate) domain: Box<str>,
    /// The key that verified the signature: a hit is served only while it is published.
    pub(crate) key: Arc<KeyEntry>,
    /// The JWKS generation `key` came from (a cheap "nothing changed" check on hits).
    pub(crate) generation: u64,
    /// The tenant whose key set a hit is checked against.
    pub(crate) tenant: Arc<Tenant>,
}

/// Entries are bucketed by a keyed hash of the token's length and last 32 bytes (the tail
/// of the signature, effectively random for real tokens), and matched on the FULL string:
/// hashing the whole ~1 KB token with SipHash was the largest cost of a cache hit. A forged
/// token that copies a valid signature lands in the same bucket and simply fails the
/// comparison.
#[derive(Debug)]
pub(crate) struct TokenCache {
    max: usize,
    hasher: std::collections::hash_map::RandomState,
    map: RwLock<Map>,
    /// Bumped by every [`TokenCache::clear`], under the map's write lock.
    epoch: AtomicU64,
}

type Bucket = Vec<(Box<str>, Arc<CachedToken>)>;

#[derive(Debug, Default)]
struct Map {
    buckets: HashMap<u64, Bucket>,
    len: usize,
}

impl TokenCache {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            hasher: Default::default(),
            map: RwLock::new(Map::default()),
            epoch: AtomicU64::new(0),
        }
    }

    /// Read BEFORE reading the signing keys; pass it to [`TokenCache::insert`].
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    fn fingerprint(&self, token: &str) -> u64 {
        let b = token.as_bytes();
        self.hasher
            .hash_one((b.len(), &b[b.len().saturating_sub(32)..]))
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<CachedToken>> {
        if self.max == 0 {
            return None;
        }
        let fp = self.fingerprint(token);
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.buckets
            .get(&fp)?
            .iter()
            .find(|(t, _)| &**t == token)
            .map(|(_, e)| e.clone())
    }

    /// Caches a verified token, unless the cache was cleared since `epoch` was read (the
    /// keys that verified it may be the ones the clear was about).
    pub(crate) fn insert(&self, token: &str, entry: CachedToken, now: f64, epoch: u64) {
        if self.max == 0 {
            return;
        }
        let fp = self.fingerprint(token);
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        if map.len >= self.max {
            // First drop what has expired; if still full, drop about half (cheap, bounded,
            // and only costs a re-verification for the dropped tokens).
            map.buckets.retain(|_, b| {
                b.retain(|(_, e)| now < e.time.exp);
                !b.is_empty()
            });
            if map.buckets.values().map(Vec::len).sum::<usize>() >= self.max {
                let half = map.buckets.len() / 2 + 1;
                let drop: Vec<u64> = map.buckets.keys().take(half).copied().collect();
                for k in drop {
                    map.buckets.remove(&k);
                }
            }
            map.len = map.buckets.values().map(Vec::len).sum();
        }
        let bucket = map.buckets.entry(fp).or_default();
        if bucket.iter().any(|(t, _)| &**t == token) {
            return;
        }
        bucket.push((token.into(), Arc::new(entry)));
        map.len += 1;
    }

    pub(crate) fn clear(&self) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::SeqCst);
        map.buckets.clear();
        map.len = 0;
    }

    /// Forgets one token (its key was withdrawn or is too stale).
    pub(crate) fn remove(&self, token: &str) {
        let fp = self.fingerprint(token);
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let Some(bucket) = map.buckets.get_mut(&fp) else {
            return;
        };
        let before = bucket.len();
        bucket.retain(|(t, _)| &**t != token);
        let removed = before - bucket.len();
        if bucket.is_empty() {
            map.buckets.remove(&fp);
        }
        map.len -= removed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Claims;

    fn key() -> Arc<KeyEntry> {
        let jwk = crate::tests::support::rsa_jwk("tenant-1", "k1");
        Arc::new(
            crate::jwks::usable_key(&jwk, &[crate::jose::Algorithm::RS256], Default::default())
                .unwrap(),
        )
    }

    fn entry(exp: f64) -> CachedToken {
        CachedToken {
            claims: Claims::new(serde_json::Map::new()),
            time: TimeClaims { exp, nbf: None },
            domain: "t".into(),
            key: key(),
            generation: 1,
            tenant: Arc::default(),
        }
    }

    #[test]
    fn exact_match_and_bounded() {
        let c = TokenCache::new(4);
        c.insert("aaa.bbb.sig", entry(100.0), 0.0, c.epoch());
        assert!(c.get("aaa.bbb.sig").is_some());
        // Same tail, same length, different token: a miss.
        assert!(c.get("xxx.bbb.sig").is_none());
        for i in 0..50 {
            c.insert(&format!("t{i}"), entry(100.0), 0.0, c.epoch());
        }
        assert!(c.map.read().unwrap().len <= 4);
        let disabled = TokenCache::new(0);
        disabled.insert("a", entry(100.0), 0.0, 0);
        assert!(disabled.get("a").is_none());
    }

    /// Must fix 3, the race, driven deterministically: a request reads the epoch and the
    /// old keys, a refresh removes its key and clears the cache, then the request inserts
    /// the token it verified with the withdrawn key. The insert must be dropped.
    #[test]
    fn an_insert_that_races_a_clear_is_dropped() {
        let c = TokenCache::new(100);
        let before_keys_were_read = c.epoch();
        c.clear();
        c.insert(
            "forged.with.withdrawn-key",
            entry(100.0),
            0.0,
            before_keys_were_read,
        );
        assert!(c.get("forged.with.withdrawn-key").is_none());
        // An insert that read the epoch after the clear is kept.
        c.insert("fresh.after.clear", entry(100.0), 0.0, c.epoch());
        assert!(c.get("fresh.after.clear").is_some());
        c.remove("fresh.after.clear");
        assert!(c.get("fresh.after.clear").is_none());
        assert_eq!(c.map.read().unwrap().len, 0);
    }
}
