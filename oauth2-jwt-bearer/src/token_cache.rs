//! The hot-path cache: exact token string -> verified claims. A hit skips parsing and the
//! RSA verification; the time claims, the issuer allow-list, required claims and the
//! binding rules are still checked on every request by the caller.
//!
//! Only tokens that passed every check are inserted, so an attacker cannot fill or evict
//! the cache with failures; the whole cache is dropped when a JWKS refresh removes a key.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, RwLock};

use super::claims::{Claims, TimeClaims};

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) claims: Claims,
    pub(crate) time: TimeClaims,
    /// The domain whose keys verified it (re-checked against the allow-list on a hit).
    pub(crate) domain: Box<str>,
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
        }
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

    pub(crate) fn insert(&self, token: &str, entry: CachedToken, now: f64) {
        if self.max == 0 {
            return;
        }
        let fp = self.fingerprint(token);
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
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
        map.buckets.clear();
        map.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Claims;

    fn entry(exp: f64) -> CachedToken {
        CachedToken {
            claims: Claims::new(serde_json::Map::new()),
            time: TimeClaims { exp, nbf: None },
            domain: "t".into(),
        }
    }

    #[test]
    fn exact_match_and_bounded() {
        let c = TokenCache::new(4);
        c.insert("aaa.bbb.sig", entry(100.0), 0.0);
        assert!(c.get("aaa.bbb.sig").is_some());
        // Same tail, same length, different token: a miss.
        assert!(c.get("xxx.bbb.sig").is_none());
        for i in 0..50 {
            c.insert(&format!("t{i}"), entry(100.0), 0.0);
        }
        assert!(c.map.read().unwrap().len <= 4);
        let disabled = TokenCache::new(0);
        disabled.insert("a", entry(100.0), 0.0);
        assert!(disabled.get("a").is_none());
    }
}
