//! The hot-path cache: exact token string -> verified claims. A hit skips parsing and the
//! RSA verification; the time claims, the issuer allow-list, required claims and the
//! binding rules are still checked on every request by the caller.
//!
//! Only tokens that passed every check are inserted, so an attacker cannot fill or evict
//! the cache with failures; the whole cache is dropped when a JWKS refresh removes a key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::claims::{Claims, TimeClaims};

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub(crate) claims: Claims,
    pub(crate) time: TimeClaims,
    /// The domain whose keys verified it (re-checked against the allow-list on a hit).
    pub(crate) domain: Box<str>,
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    max: usize,
    map: RwLock<HashMap<Box<str>, Arc<CachedToken>>>,
}

impl TokenCache {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            map: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<CachedToken>> {
        if self.max == 0 {
            return None;
        }
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
    }

    pub(crate) fn insert(&self, token: &str, entry: CachedToken, now: f64) {
        if self.max == 0 {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.max {
            // First drop what has expired; if still full, drop half (cheap, bounded, and
            // only costs a re-verification for the dropped tokens).
            map.retain(|_, v| now < v.time.exp);
            if map.len() >= self.max {
                let drop: Vec<Box<str>> = map.keys().take(map.len() / 2 + 1).cloned().collect();
                for k in drop {
                    map.remove(&k);
                }
            }
        }
        map.insert(token.into(), Arc::new(entry));
    }

    pub(crate) fn clear(&self) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
