//! The key ring behind a tenant's JWKS.
//!
//! It separates "published" (in the JWKS) from "current" (signs new tokens), which is what lets
//! a test publish a next key before switching to it, as real tenants rotate; retired keys stay
//! at hand so tests can still sign with a key a verifier should no longer find.

use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use super::error::KeyError;
use super::signing_key::SigningKey;

/// Most keys the JWKS publishes. Publishing (or an Auth0 rotation, which publishes a next key)
/// past it is refused until a key is revoked or retired: whoever holds the key scopes cannot
/// grow the JWKS, the memory and the state directory without bound.
pub(crate) const MAX_PUBLISHED_KEYS: usize = 20;
/// Most retired keys kept (to sign tokens a verifier must refuse); past it the oldest is
/// forgotten, here and in the state directory, and so never signs or publishes again.
pub(crate) const MAX_RETIRED_KEYS: usize = 100;

/// Published keys, the one that signs, and retired keys (kept so tests can still sign with a
/// key a verifier should no longer find).
#[derive(Debug)]
struct RingState {
    published: Vec<SigningKey>,
    current: SigningKey,
    retired: Vec<SigningKey>,
    /// Keys `publish_next` hands out before it has to generate one.
    spare: Vec<SigningKey>,
    /// Told of every change of keys and roles (see [`KeyRing::on_change`]).
    persist: Option<Observer>,
}

/// What [`KeyRing::on_change`] calls: (current, published, retired).
pub(crate) type RingObserver = Arc<dyn Fn(&SigningKey, &[SigningKey], &[SigningKey]) + Send + Sync>;

/// A [`RingObserver`] in the ring's state (which derives `Debug`).
struct Observer(RingObserver);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// A tenant's key ring; clones share state.
#[derive(Clone, Debug)]
pub struct KeyRing {
    inner: Arc<RwLock<RingState>>,
}

impl KeyRing {
    /// A ring whose only published key is `current`; `spare` keys feed `publish_next`.
    pub fn new(current: SigningKey, spare: Vec<SigningKey>) -> Self {
        KeyRing {
            inner: Arc::new(RwLock::new(RingState {
                published: vec![current.clone()],
                current,
                retired: Vec::new(),
                spare,
                persist: None,
            })),
        }
    }

    /// A ring with fixture key 1 current and fixture keys 2 and 3 as spares.
    pub fn fixtures() -> Self {
        Self::new(
            SigningKey::fixture(1),
            vec![SigningKey::fixture(2), SigningKey::fixture(3)],
        )
    }

    /// Restores a ring from persisted parts.
    pub fn from_parts(
        current: SigningKey,
        published: Vec<SigningKey>,
        spare: Vec<SigningKey>,
    ) -> Self {
        let mut published = published;
        if !published.iter().any(|k| k.kid() == current.kid()) {
            published.insert(0, current.clone());
        }
        Self::restore(current, published, Vec::new(), spare)
    }

    /// Restores a ring with its retired (revoked) keys, as the state directory keeps it.
    pub fn restore(
        current: SigningKey,
        published: Vec<SigningKey>,
        retired: Vec<SigningKey>,
        spare: Vec<SigningKey>,
    ) -> Self {
        let mut published = published;
        if !published.iter().any(|k| k.kid() == current.kid()) {
            published.insert(0, current.clone());
        }
        KeyRing {
            inner: Arc::new(RwLock::new(RingState {
                published,
                current,
                retired,
                spare,
                persist: None,
            })),
        }
    }

    /// From now on, calls `observer` with (current, published, retired) after every change of
    /// keys and roles (publish, rotate, retire), and once now: the tenant writes them to its
    /// state directory, so a restarted tenant publishes the same keys and never a revoked one
    /// again (review L3). The ring sits below the state directory, so it is told, not tied.
    pub(crate) fn on_change(&self, observer: RingObserver) {
        self.write().persist = Some(Observer(observer));
        self.save();
    }

    /// Tells the observer, if any, the ring as it is now.
    fn save(&self) {
        let s = self.read();
        if let Some(Observer(f)) = &s.persist {
            f(&s.current, &s.published, &s.retired);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, RingState> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, RingState> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> SigningKey {
        self.read().current.clone()
    }

    /// Any key the ring knows (published, current or retired) by kid.
    pub fn get(&self, kid: &str) -> Option<SigningKey> {
        let s = self.read();
        s.published
            .iter()
            .chain(std::iter::once(&s.current))
            .chain(s.retired.iter())
            .find(|k| k.kid() == kid)
            .cloned()
    }

    /// Kids in the JWKS, in order.
    pub fn published_kids(&self) -> Vec<String> {
        self.read()
            .published
            .iter()
            .map(|k| k.kid().to_owned())
            .collect()
    }

    /// Adds `key` to the JWKS without signing with it.
    pub fn publish(&self, key: SigningKey) {
        {
            let mut s = self.write();
            s.retired.retain(|k| k.kid() != key.kid());
            s.published.push(key);
        }
        self.save();
    }

    /// Publishes the next spare key (fixture keys 2 and 3 in a test tenant, then freshly
    /// generated ones); returns its kid.
    ///
    /// # Panics
    /// If the JWKS already holds its maximum of 20 keys, or aws-lc cannot generate an
    /// RSA key once the spares are used up (a broken environment);
    /// [`KeyRing::try_publish_next`] returns those errors instead.
    pub fn publish_next(&self) -> String {
        self.try_publish_next()
            .unwrap_or_else(|e| panic!("mock-idp: cannot create a next key: {e}"))
    }

    /// [`KeyRing::publish_next`], returning key-generation failures.
    pub fn try_publish_next(&self) -> Result<String, KeyError> {
        self.room_to_publish()?;
        let spare = {
            let mut s = self.write();
            if s.spare.is_empty() {
                None
            } else {
                Some(s.spare.remove(0))
            }
        };
        let key = match spare {
            Some(k) => k,
            None => SigningKey::generate()?,
        };
        let kid = key.kid().to_owned();
        self.publish(key);
        Ok(kid)
    }

    /// `Err` when the JWKS holds [`MAX_PUBLISHED_KEYS`] keys.
    pub(crate) fn room_to_publish(&self) -> Result<(), KeyError> {
        if self.read().published.len() >= MAX_PUBLISHED_KEYS {
            return Err(KeyError::TooMany(MAX_PUBLISHED_KEYS));
        }
        Ok(())
    }

    /// Switches signing to the newest published key that is not current (publishing a next key
    /// first if there is none). The old key stays in the JWKS until retired. Returns the new kid.
    ///
    /// # Panics
    /// As [`KeyRing::publish_next`]; [`KeyRing::try_rotate`] returns the error instead.
    pub fn rotate(&self) -> String {
        self.try_rotate()
            .unwrap_or_else(|e| panic!("mock-idp: cannot rotate keys: {e}"))
    }

    /// [`KeyRing::rotate`], returning key-generation failures.
    pub fn try_rotate(&self) -> Result<String, KeyError> {
        let has_next = {
            let s = self.read();
            let cur = s.current.kid().to_owned();
            s.published.iter().any(|k| k.kid() != cur)
        };
        if !has_next {
            self.try_publish_next()?;
        }
        let kid = {
            let mut s = self.write();
            let cur = s.current.kid().to_owned();
            if let Some(next) = s.published.iter().rev().find(|k| k.kid() != cur).cloned() {
                s.current = next;
            }
            s.current.kid().to_owned()
        };
        self.save();
        Ok(kid)
    }

    /// Removes `kid` from the JWKS (it can still sign via `Signing::Key`). Returns whether it
    /// was published.
    pub fn retire(&self, kid: &str) -> bool {
        let changed = {
            let mut s = self.write();
            let before = s.published.len();
            let (gone, kept): (Vec<_>, Vec<_>) =
                s.published.drain(..).partition(|k| k.kid() == kid);
            s.published = kept;
            s.retired.extend(gone);
            let over = s.retired.len().saturating_sub(MAX_RETIRED_KEYS);
            s.retired.drain(..over);
            s.published.len() != before
        };
        if changed {
            self.save();
        }
        changed
    }

    /// The JWKS document `{ "keys": [...] }`.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .read()
            .published
            .iter()
            .map(SigningKey::jwks_entry)
            .collect();
        json!({ "keys": keys })
    }

    /// Every published key (for persisting).
    pub fn published(&self) -> Vec<SigningKey> {
        self.read().published.clone()
    }

    /// Keys removed from the JWKS, oldest first.
    pub fn retired(&self) -> Vec<SigningKey> {
        self.read().retired.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_rotate_retire() {
        let ring = KeyRing::fixtures();
        assert_eq!(ring.published_kids(), ["tenant-1"]);
        let next = ring.publish_next();
        assert_eq!(next, "tenant-2");
        assert_eq!(ring.current().kid(), "tenant-1");
        assert_eq!(ring.rotate(), "tenant-2");
        assert!(ring.retire("tenant-1"));
        assert_eq!(ring.published_kids(), ["tenant-2"]);
        assert!(ring.get("tenant-1").is_some());
    }

    /// Both bounds: publishing stops at [`MAX_PUBLISHED_KEYS`], and past
    /// [`MAX_RETIRED_KEYS`] the oldest retired keys are forgotten. (Copies of one fixture key
    /// stand for distinct keys: generating a hundred RSA keys would make the test slow.)
    #[test]
    fn published_and_retired_keys_are_bounded() {
        let full = vec![SigningKey::fixture(2); MAX_PUBLISHED_KEYS - 1];
        let ring = KeyRing::from_parts(SigningKey::fixture(1), full, vec![SigningKey::fixture(3)]);
        assert_eq!(ring.published_kids().len(), MAX_PUBLISHED_KEYS);
        assert!(matches!(
            ring.try_publish_next(),
            Err(KeyError::TooMany(MAX_PUBLISHED_KEYS))
        ));
        assert_eq!(ring.published_kids().len(), MAX_PUBLISHED_KEYS);
        let mut many = vec![SigningKey::fixture(3)];
        many.extend(vec![SigningKey::fixture(2); MAX_RETIRED_KEYS + 5]);
        let ring = KeyRing::restore(SigningKey::fixture(1), many, vec![], vec![]);
        assert!(ring.retire("tenant-3"));
        assert!(ring.retire("tenant-2"));
        let retired = ring.retired();
        assert_eq!(retired.len(), MAX_RETIRED_KEYS);
        // The oldest (tenant-3, retired first) went.
        assert!(retired.iter().all(|k| k.kid() == "tenant-2"));
        assert_eq!(ring.published_kids(), ["tenant-1"]);
    }
}
