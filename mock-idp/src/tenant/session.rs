//! Browser state: the tenant's login sessions (single sign-on across its applications) and the
//! login transactions that carry an `/authorize` request to the login form and back.
//!
//! Two cookies, named as Auth0 names its own:
//! - `auth0`: the session id (HttpOnly, Secure over HTTPS, SameSite=Lax). Any application of
//!   the tenant that sends the browser to `/authorize` while it lives gets a code without a
//!   form (SSO); `prompt=none` succeeds only with it.
//! - `did`: a random device id. A login transaction is bound to the device that started it, so
//!   a form POST from another browser (or a cross-site POST, which SameSite=Lax strips of the
//!   cookie) finds no transaction: login CSRF and transaction-id theft both fail.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::SessionPolicy;
use crate::jose::random_id;
use crate::tenant::authorize_request::AuthorizeRequest;
use crate::tenant::store::{BoundedStore, Footprint, WhenFull};

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "auth0";
/// The device cookie that binds login transactions to a browser.
pub(crate) const DEVICE_COOKIE: &str = "did";
/// A login form may be submitted this long after `/authorize` sent the browser to it.
pub(crate) const TRANSACTION_LIFETIME: i64 = 15 * 60;
/// At most this many sessions are kept (10,000; the oldest go first when full).
pub(crate) const MAX_SESSIONS: usize = 10_000;
/// ... and at most this many bytes of them.
pub(crate) const MAX_SESSION_BYTES: usize = 4 << 20;
/// At most this many pending logins are kept (10,000; the oldest go first when full).
pub(crate) const MAX_TRANSACTIONS: usize = 10_000;

/// One logged-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// `sid` in ID tokens.
    pub(crate) sid: String,
    pub(crate) user_id: String,
    /// When the user last typed their password (`auth_time`).
    pub(crate) auth_time: i64,
    /// When the session ends however active it is (`session_lifetime` after the login, fixed
    /// when the session starts, as on Auth0).
    pub(crate) ends: i64,
}

impl Footprint for Session {
    fn footprint(&self) -> usize {
        self.sid.footprint() + self.user_id.footprint() + 16
    }
}

/// The tenant's sessions.
#[derive(Debug)]
pub(crate) struct Sessions(Mutex<BoundedStore<String, Session>>);

impl Default for Sessions {
    fn default() -> Self {
        Sessions(Mutex::new(BoundedStore::new(
            MAX_SESSIONS,
            MAX_SESSION_BYTES,
            WhenFull::EvictSoonest,
        )))
    }
}

impl Sessions {
    /// Starts a session for `user_id` authenticated at `now`, living as `policy` says.
    pub(crate) fn create(&self, user_id: &str, now: i64, policy: SessionPolicy) -> Session {
        let session = Session {
            sid: random_id(),
            user_id: user_id.to_owned(),
            auth_time: now,
            ends: now + policy.absolute,
        };
        let expires = (now + policy.idle).min(session.ends);
        lock(&self.0).insert(session.sid.clone(), session.clone(), expires, now);
        session
    }

    /// The live session named by the request's cookie; using it renews its idle lifetime (up
    /// to the session's end). The idle lifetime is `policy`'s now, so a changed
    /// `idle_session_lifetime` applies from a session's next use.
    pub(crate) fn current(
        &self,
        headers: &HeaderMap,
        now: i64,
        policy: SessionPolicy,
    ) -> Option<Session> {
        let sid = cookie(headers, SESSION_COOKIE)?;
        let mut store = lock(&self.0);
        let session = store.get(&sid, now)?.clone();
        store.set_expiry(&sid, (now + policy.idle).min(session.ends));
        Some(session)
    }

    /// Ends the session named by the request's cookie, if any; returns it.
    pub(crate) fn end(&self, headers: &HeaderMap) -> Option<Session> {
        let sid = cookie(headers, SESSION_COOKIE)?;
        lock(&self.0).remove(&sid)
    }
}

/// Pending logins one device (`did` cookie) may hold: its next login pushes out its own
/// oldest, never someone else's.
pub(crate) const MAX_TRANSACTIONS_PER_DEVICE: usize = 8;
/// Pending logins one application may hold (half the store): a flood through one public
/// client leaves the other applications room, and never pushes out a live login.
pub(crate) const MAX_TRANSACTIONS_PER_CLIENT: usize = MAX_TRANSACTIONS / 2;
/// Bytes of pending logins kept, at most.
pub(crate) const MAX_TRANSACTION_BYTES: usize = 16 << 20;

/// A login in progress: the validated `/authorize` request and the device it started on.
#[derive(Debug, Clone)]
struct Transaction {
    request: AuthorizeRequest,
    device: String,
}

impl Footprint for Transaction {
    fn footprint(&self) -> usize {
        let r = &self.request;
        r.client_id.footprint()
            + r.redirect_uri.footprint()
            + r.state.footprint()
            + r.nonce.footprint()
            + r.scopes.footprint()
            + r.audience.footprint()
            + r.pkce.as_ref().map_or(0, |p| p.challenge.footprint())
            + r.login_hint.footprint()
            + r.invitation.footprint()
            + r.dpop_jkt.footprint()
            + self.device.footprint()
            + 64
    }
}

/// The store is full for this request's application (or altogether): the login cannot start
/// now. Live logins are never pushed out to make room (review finding L1: an unauthenticated
/// `/authorize` flood evicted every pending login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

/// Pending logins, keyed by transaction id (the login page's `state` parameter), with the
/// per-device and per-application shares that decide whose login goes when space runs out.
#[derive(Debug)]
pub(crate) struct Transactions(Mutex<TransactionStore>);

#[derive(Debug)]
struct TransactionStore {
    store: BoundedStore<String, Transaction>,
    /// Device -> its transaction ids, oldest first (only ids the store holds).
    by_device: HashMap<String, VecDeque<String>>,
    /// Application -> how many transactions it holds.
    per_client: HashMap<String, usize>,
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions(Mutex::new(TransactionStore {
            store: BoundedStore::new(MAX_TRANSACTIONS, MAX_TRANSACTION_BYTES, WhenFull::Refuse),
            by_device: HashMap::new(),
            per_client: HashMap::new(),
        }))
    }
}

impl TransactionStore {
    /// Drops `id` (gone from the store) from the indexes.
    fn forget(&mut self, id: &str, tx: &Transaction) {
        if let Some(ids) = self.by_device.get_mut(&tx.device) {
            ids.retain(|i| i != id);
            if ids.is_empty() {
                self.by_device.remove(&tx.device);
            }
        }
        if let Some(n) = self.per_client.get_mut(&tx.request.client_id) {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(&tx.request.client_id);
            }
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(tx) = self.store.remove(&id.to_owned()) {
            self.forget(id, &tx);
        }
    }
}

impl Transactions {
    /// Parks `request` for the login form of `device`; returns the transaction id, or
    /// [`Busy`] when the application's share (or the store) is full of live logins.
    pub(crate) fn create(
        &self,
        request: AuthorizeRequest,
        device: &str,
        now: i64,
    ) -> Result<String, Busy> {
        let mut t = lock(&self.0);
        for (id, tx) in t.store.drain_expired(now) {
            t.forget(&id, &tx);
        }
        // The device's own oldest login makes room for its new one.
        let oldest = t
            .by_device
            .get(device)
            .filter(|ids| ids.len() >= MAX_TRANSACTIONS_PER_DEVICE)
            .and_then(|ids| ids.front().cloned());
        if let Some(oldest) = oldest {
            t.remove(&oldest);
        }
        let client = request.client_id.clone();
        if t.per_client.get(&client).copied().unwrap_or(0) >= MAX_TRANSACTIONS_PER_CLIENT {
            return Err(Busy);
        }
        let id = random_id();
        let tx = Transaction {
            request,
            device: device.to_owned(),
        };
        t.store
            .try_insert(id.clone(), tx, now + TRANSACTION_LIFETIME, now)
            .map_err(|_| Busy)?;
        t.by_device
            .entry(device.to_owned())
            .or_default()
            .push_back(id.clone());
        *t.per_client.entry(client).or_default() += 1;
        Ok(id)
    }

    /// The request of transaction `id`, if it is live and was started by `device`.
    pub(crate) fn get(&self, id: &str, device: Option<&str>, now: i64) -> Option<AuthorizeRequest> {
        let t = lock(&self.0);
        let tx = t.store.get(&id.to_owned(), now)?;
        (Some(tx.device.as_str()) == device).then(|| tx.request.clone())
    }

    /// Ends transaction `id` (a transaction completes once).
    pub(crate) fn finish(&self, id: &str) {
        lock(&self.0).remove(id);
    }
}

/// Longest cookie value read: the tenant's own ids are 22 characters, and a longer value is
/// someone else's (or an attacker's way to make each stored login bigger).
const MAX_COOKIE_VALUE: usize = 128;

/// The value of cookie `name` in the request's `Cookie` headers (RFC 6265 §5.4).
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE_VALUE)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS; `max_age` 0
/// deletes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Max-Age={max_age}; Path=/; HttpOnly{secure}; SameSite=Lax");
    // Names and values are our own base64url ids: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::cookie;

    #[test]
    fn cookie_parsing_finds_exact_names_only() {
        let mut h = HeaderMap::new();
        h.append("cookie", HeaderValue::from_static("xauth0=evil; auth0=abc"));
        h.append("cookie", HeaderValue::from_static("did=\"d1\""));
        assert_eq!(cookie(&h, "auth0").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "did").as_deref(), Some("d1"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
