//! Test page sessions: random ids the Test page's cookie carries instead of the admin secret,
//! kept here (bounded) and checked by the one access rule in [`super::access`]. A leaf below
//! both the state that holds them and the rule that reads them.

use std::sync::Mutex;

use crate::tenant::store::{BoundedStore, WhenFull};

/// Test page sessions started with the admin secret: random ids kept here, so the cookie
/// never carries the secret. Bounded like every store; the oldest go first.
#[derive(Debug)]
pub(crate) struct AdminSessions(Mutex<BoundedStore<String, ()>>);

/// How long a Test page session lasts (8 hours, real time).
pub(crate) const ADMIN_SESSION_LIFETIME: i64 = 8 * 3600;
/// Most Test page sessions kept.
pub(crate) const MAX_ADMIN_SESSIONS: usize = 1_000;

impl Default for AdminSessions {
    fn default() -> Self {
        AdminSessions(Mutex::new(BoundedStore::new(
            MAX_ADMIN_SESSIONS,
            1 << 20,
            WhenFull::EvictSoonest,
        )))
    }
}

impl AdminSessions {
    /// Starts a session; its id.
    pub(crate) fn start(&self, now: i64) -> String {
        let id = crate::jose::random_id();
        self.lock()
            .insert(id.clone(), (), now + ADMIN_SESSION_LIFETIME, now);
        id
    }

    pub(crate) fn is_live(&self, id: &str, now: i64) -> bool {
        id.len() <= 64 && self.lock().get(&id.to_owned(), now).is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedStore<String, ()>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Wall-clock seconds: Test page sessions do not follow the tenant's virtual clock (a test
/// that jumps it a day ahead must not sign the operator out).
pub(crate) fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
