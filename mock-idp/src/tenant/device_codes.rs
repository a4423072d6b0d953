//! Device Authorization (RFC 8628) as Auth0 runs it: a `device_code` the device polls with and a
//! `user_code` (`ABCD-EFGH`) the user types at `/activate`, both living 15 minutes, polled at
//! most every 5 seconds.
//!
//! User codes are 8 letters from RFC 8628 §6.1's base-20 alphabet (no vowels, so no words):
//! 20^8 ≈ 2^34.6 codes. A guesser must hold a logged-in session at `/activate`, and each user
//! has a bucket of 10 wrong codes (one back every 6 minutes), so a guess succeeds with odds of
//! at most live codes / 20^8 per try (10,000 / 2.56·10^10 ≈ 4·10^-7).
//!
//! Bounds: 10,000 codes and 8 MiB; when full of live codes the store refuses new ones
//! (`/oauth/device/code` answers 503) rather than push out codes users are typing. Wrong-code
//! buckets exist only for users with a session (the configuration's users).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::jose::random_id;
use crate::tenant::mfa::{ATTEMPT_REFILL, MAX_FAILED_ATTEMPTS};
use crate::tenant::store::{BoundedStore, Footprint, Full, WhenFull};

/// How long a device code lives (Auth0: `expires_in` 900).
pub(crate) const DEVICE_CODE_LIFETIME: i64 = 900;
/// The polling interval (Auth0: `interval` 5).
pub(crate) const POLL_INTERVAL: i64 = 5;
/// At most this many device codes are kept.
pub(crate) const MAX_DEVICE_CODES: usize = 10_000;
/// ... and at most this many bytes of them.
pub(crate) const MAX_DEVICE_CODE_BYTES: usize = 8 << 20;
/// At most this many users' buckets of wrong user codes are kept. A full bucket is the same as
/// none, so those go first; when every kept user is still short of attempts, a new user is
/// refused (fail closed) until buckets refill.
pub(crate) const MAX_BUCKETS: usize = 10_000;
/// RFC 8628 §6.1: consonants only.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// What the device asked for.
#[derive(Debug, Clone)]
pub(crate) struct DeviceRequest {
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) audience: Option<String>,
    /// `ABCD-EFGH`.
    pub(crate) user_code: String,
}

/// The user's answer at `/activate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Confirmed by the user of a session (`sid`, `auth_time`).
    Approved {
        user_id: String,
        sid: String,
        auth_time: i64,
    },
    /// Cancelled.
    Denied,
}

#[derive(Debug)]
struct Entry {
    request: DeviceRequest,
    issued_at: i64,
    last_poll: Option<i64>,
    decision: Option<Decision>,
}

impl Footprint for Entry {
    fn footprint(&self) -> usize {
        let r = &self.request;
        r.client_id.footprint() + r.scopes.footprint() + r.audience.footprint()
            + r.user_code.footprint()
            // Room for a decision (ids of the session).
            + 128
    }
}

/// What a poll finds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Poll {
    /// Unknown, another client's, used, or expired and already said so (all forgotten).
    Invalid,
    /// Expired (said once).
    Expired,
    /// Polled again sooner than the interval.
    SlowDown,
    /// The user has not answered.
    Pending,
    /// The user cancelled.
    Denied,
    /// The user confirmed: issue the tokens (the code is now spent).
    Approved {
        scopes: Vec<String>,
        audience: Option<String>,
        user_id: String,
        sid: String,
        auth_time: i64,
    },
}

/// A user code that is not (or no longer) waiting for an answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CodeError {
    Unknown,
    TooManyAttempts,
}

#[derive(Debug)]
struct Inner {
    codes: BoundedStore<String, Entry>,
    /// Normalized user code (`ABCDEFGH`) -> device code.
    by_user_code: HashMap<String, String>,
    /// Wrong user codes per user: (attempts left, last refill).
    buckets: HashMap<String, (u32, i64)>,
}

/// The tenant's device codes.
#[derive(Debug)]
pub(crate) struct DeviceCodes(Mutex<Inner>);

impl Default for DeviceCodes {
    fn default() -> Self {
        DeviceCodes(Mutex::new(Inner {
            codes: BoundedStore::new(MAX_DEVICE_CODES, MAX_DEVICE_CODE_BYTES, WhenFull::Refuse),
            by_user_code: HashMap::new(),
            buckets: HashMap::new(),
        }))
    }
}

/// `abcd efgh`, `ABCD-EFGH` and `abcdefgh` are one code.
pub(crate) fn normalize(user_code: &str) -> String {
    user_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn new_user_code() -> String {
    let mut bytes = [0u8; 8];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    // 256 = 12·20 + 16: the first 240 byte values map evenly; a tiny bias on the rest is
    // irrelevant at 34 bits.
    let letters: String = bytes
        .iter()
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()]))
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

impl Inner {
    /// Forgets codes past their grace period (and their user-code index entries).
    fn sweep(&mut self, now: i64) {
        for (_, e) in self.codes.drain_expired(now) {
            self.by_user_code.remove(&normalize(&e.request.user_code));
        }
    }
}

impl DeviceCodes {
    /// Starts a device authorization; returns the device code and fills in the user code.
    pub(crate) fn issue(
        &self,
        mut request: DeviceRequest,
        now: i64,
    ) -> Result<(String, DeviceRequest), Full> {
        let mut inner = lock(&self.0);
        inner.sweep(now);
        let user_code = loop {
            let c = new_user_code();
            if !inner.by_user_code.contains_key(&normalize(&c)) {
                break c;
            }
        };
        request.user_code = user_code.clone();
        let device_code = random_id();
        let entry = Entry {
            request: request.clone(),
            issued_at: now,
            last_poll: None,
            decision: None,
        };
        // Kept a second lifetime so that a late poll hears `expired_token` once (the poll
        // that hears it forgets the code).
        inner.codes.try_insert(
            device_code.clone(),
            entry,
            now + 2 * DEVICE_CODE_LIFETIME,
            now,
        )?;
        inner
            .by_user_code
            .insert(normalize(&user_code), device_code.clone());
        Ok((device_code, request))
    }

    /// The device's poll (RFC 8628 §3.5). A code that produced its tokens, or whose expiry
    /// was told, is forgotten at once: later polls find nothing (`invalid_grant`), and a
    /// busy tenant's store holds only codes still waiting.
    pub(crate) fn poll(&self, device_code: &str, client_id: &str, now: i64) -> Poll {
        let mut inner = lock(&self.0);
        let key = device_code.to_owned();
        let Some(e) = inner.codes.get_mut(&key, now) else {
            return Poll::Invalid;
        };
        if e.request.client_id != client_id {
            return Poll::Invalid;
        }
        let outcome = if now >= e.issued_at + DEVICE_CODE_LIFETIME {
            Poll::Expired
        } else if e.last_poll.is_some_and(|t| now - t < POLL_INTERVAL) {
            e.last_poll = Some(now);
            Poll::SlowDown
        } else {
            e.last_poll = Some(now);
            match e.decision.clone() {
                None => Poll::Pending,
                Some(Decision::Denied) => Poll::Denied,
                Some(Decision::Approved {
                    user_id,
                    sid,
                    auth_time,
                }) => Poll::Approved {
                    scopes: e.request.scopes.clone(),
                    audience: e.request.audience.clone(),
                    user_id,
                    sid,
                    auth_time,
                },
            }
        };
        if matches!(outcome, Poll::Expired | Poll::Approved { .. })
            && let Some(e) = inner.codes.remove(&key)
        {
            inner.by_user_code.remove(&normalize(&e.request.user_code));
        }
        outcome
    }

    /// The request waiting for an answer under `user_code`, typed by `user_id` (whose wrong
    /// guesses are counted).
    pub(crate) fn pending(
        &self,
        user_code: &str,
        user_id: &str,
        now: i64,
    ) -> Result<DeviceRequest, CodeError> {
        let mut inner = lock(&self.0);
        if !inner.buckets.contains_key(user_id) && inner.buckets.len() >= MAX_BUCKETS {
            inner
                .buckets
                .retain(|_, b| refilled(*b, now).0 < MAX_FAILED_ATTEMPTS);
            if inner.buckets.len() >= MAX_BUCKETS {
                return Err(CodeError::TooManyAttempts);
            }
        }
        let bucket = inner
            .buckets
            .entry(user_id.to_owned())
            .or_insert((MAX_FAILED_ATTEMPTS, now));
        *bucket = refilled(*bucket, now);
        if bucket.0 == 0 {
            return Err(CodeError::TooManyAttempts);
        }
        let found = inner
            .by_user_code
            .get(&normalize(user_code))
            .cloned()
            .and_then(|dc| inner.codes.get(&dc, now))
            .filter(|e| e.decision.is_none() && now < e.issued_at + DEVICE_CODE_LIFETIME)
            .map(|e| e.request.clone());
        match found {
            Some(r) => Ok(r),
            None => {
                if let Some(b) = inner.buckets.get_mut(user_id) {
                    b.0 -= 1;
                }
                Err(CodeError::Unknown)
            }
        }
    }

    /// Records the user's answer for `user_code`; false if it is no longer waiting.
    pub(crate) fn decide(&self, user_code: &str, decision: Decision, now: i64) -> bool {
        let mut inner = lock(&self.0);
        let Some(dc) = inner.by_user_code.get(&normalize(user_code)).cloned() else {
            return false;
        };
        match inner.codes.get_mut(&dc, now) {
            Some(e) if e.decision.is_none() && now < e.issued_at + DEVICE_CODE_LIFETIME => {
                e.decision = Some(decision);
                true
            }
            _ => false,
        }
    }
}

/// `bucket` (attempts left, last refill) with the attempts earned since its last refill.
fn refilled(bucket: (u32, i64), now: i64) -> (u32, i64) {
    let earned = (now - bucket.1).max(0) / ATTEMPT_REFILL;
    if earned == 0 {
        return bucket;
    }
    let earned = u32::try_from(earned).unwrap_or(u32::MAX);
    (
        bucket.0.saturating_add(earned).min(MAX_FAILED_ATTEMPTS),
        now,
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_look_like_auth0s() {
        let c = new_user_code();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert!(
            c.bytes()
                .filter(|b| *b != b'-')
                .all(|b| USER_CODE_ALPHABET.contains(&b))
        );
        assert_eq!(normalize(" abcd-efgh "), "ABCDEFGH");
    }

    #[test]
    fn a_full_store_refuses_new_codes_and_a_finished_one_makes_room() {
        let codes = DeviceCodes::default();
        let req = DeviceRequest {
            client_id: "c".into(),
            scopes: vec!["openid".into()],
            audience: None,
            user_code: String::new(),
        };
        let mut first = None;
        for _ in 0..MAX_DEVICE_CODES {
            let issued = codes.issue(req.clone(), 0).unwrap();
            first.get_or_insert(issued);
        }
        assert_eq!(codes.issue(req.clone(), 0).unwrap_err(), Full);
        let (device_code, first) = first.unwrap();
        let approved = Decision::Approved {
            user_id: "u".into(),
            sid: "s".into(),
            auth_time: 0,
        };
        assert!(codes.decide(&first.user_code, approved, 1));
        assert!(matches!(
            codes.poll(&device_code, "c", 1),
            Poll::Approved { .. }
        ));
        assert!(codes.issue(req, 2).is_ok());
        assert_eq!(lock(&codes.0).by_user_code.len(), MAX_DEVICE_CODES);
    }

    /// The wrong-code buckets are bounded: past [`MAX_BUCKETS`] users short of attempts, a
    /// new user is refused; once buckets refill (full buckets are the same as none), there
    /// is room again.
    #[test]
    fn the_wrong_code_buckets_are_bounded() {
        let codes = DeviceCodes::default();
        for i in 0..MAX_BUCKETS {
            let e = codes
                .pending("BCDF-GHJK", &format!("user-{i}"), 0)
                .unwrap_err();
            assert_eq!(e, CodeError::Unknown);
        }
        assert_eq!(lock(&codes.0).buckets.len(), MAX_BUCKETS);
        let e = codes.pending("BCDF-GHJK", "newcomer", 1).unwrap_err();
        assert_eq!(e, CodeError::TooManyAttempts);
        assert_eq!(lock(&codes.0).buckets.len(), MAX_BUCKETS);
        let e = codes
            .pending("BCDF-GHJK", "newcomer", ATTEMPT_REFILL)
            .unwrap_err();
        assert_eq!(e, CodeError::Unknown);
        assert_eq!(lock(&codes.0).buckets.len(), 1);
    }
}
