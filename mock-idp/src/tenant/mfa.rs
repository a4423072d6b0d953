//! MFA at run time: the `mfa_token`s the password grants hand out, the logins waiting for
//! their OTP step, and per enrolled user the last time step accepted (a code works once) and
//! the failed-attempt bucket that stops brute force.
//!
//! Auth0's limits, kept here: an `mfa_token` lives 10 minutes; a verified code cannot be used
//! again; failed verifications draw from a bucket of 10 that refills one attempt every 6
//! minutes (Auth0 docs, "Authenticate using ROPG flow with MFA": "MFA OTP code limits and
//! constraints"). An empty bucket answers `too_many_attempts` even for the right code, so a
//! guesser cannot tell a hit from a miss.
//!
//! Under the MFA policy a user without an enrolment enrols over the MFA API: `POST
//! /mfa/associate` gives their `mfa_token` a pending enrolment (a fresh secret and recovery
//! code), which the `mfa-otp` grant confirms with a code of that secret. The pending enrolment
//! lives in the `mfa_token`'s entry, so it is bounded with the tokens and goes with its token.
//!
//! Bounds: 10,000 `mfa_token`s and 4 MiB of them, pending enrolments included (the
//! soonest-expiring go first: only a caller with a user's password can make one); pending OTP
//! logins as many as login transactions and 512 bytes each (room for the enrolment a login under the MFA policy shows);
//! per-user state only for the users the configuration enrols (a fixed set).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::config::{MfaConfig, OTP_STEP};
use crate::jose::random_id;
use crate::tenant::session::{MAX_TRANSACTIONS, TRANSACTION_LIFETIME};
use crate::tenant::store::{BoundedStore, Footprint, WhenFull};

/// How long an `mfa_token` may complete its login (Auth0: 10 minutes, not configurable).
pub(crate) const MFA_TOKEN_LIFETIME: i64 = 600;
/// At most this many `mfa_token`s are kept.
pub(crate) const MAX_MFA_TOKENS: usize = 10_000;
/// ... and at most this many bytes of them.
pub(crate) const MAX_MFA_TOKEN_BYTES: usize = 4 << 20;
/// Live `mfa_token`s one user may hold: their next pushes out their own oldest, never another
/// user's (an attacker who knows one enrolled account's password cannot evict the rest).
pub(crate) const MAX_MFA_TOKENS_PER_USER: usize = 16;
/// Room every `mfa_token` entry counts for the enrolment `POST /mfa/associate` may give it
/// (a 32-character secret, one 24-character recovery code, their headers), so that adding one
/// later never grows an entry past what the byte bound counted.
pub(crate) const PENDING_ENROLMENT_BYTES: usize = 160;
/// Bytes of the logins owing a code (each counts a pending enrolment's room, used or not).
pub(crate) const MAX_LOGIN_STEP_BYTES: usize = MAX_TRANSACTIONS * 512;
/// Failed verifications a user may make in a burst (Auth0's bucket of 10).
pub(crate) const MAX_FAILED_ATTEMPTS: u32 = 10;
/// One more attempt every this many seconds (Auth0: 6 minutes).
pub(crate) const ATTEMPT_REFILL: i64 = 360;
/// Steps either side of now whose codes are accepted: one (±30 s of clock drift, as Google's
/// own server-side library allows).
const DRIFT_STEPS: i64 = 1;

/// What an `mfa_token` stands for: the password login it completes.
#[derive(Debug, Clone)]
pub(crate) struct MfaTicket {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) audience: Option<String>,
}

#[derive(Debug)]
struct TicketEntry {
    ticket: MfaTicket,
    issued_at: i64,
    used: bool,
    /// The enrolment `POST /mfa/associate` started for this token's user, until confirmed.
    pending: Option<MfaConfig>,
}

impl Footprint for TicketEntry {
    fn footprint(&self) -> usize {
        let t = &self.ticket;
        t.client_id.footprint()
            + t.user_id.footprint()
            + t.scopes.footprint()
            + t.audience.footprint()
            + PENDING_ENROLMENT_BYTES
            + 16
    }
}

/// A login past its password, owing its second factor.
#[derive(Debug, Clone)]
pub(crate) struct LoginStep {
    /// Who gave the right password.
    pub(crate) user_id: String,
    /// Under the MFA policy, for a user with no enrolment: the enrolment this login shows and
    /// its first code confirms.
    pub(crate) enrolment: Option<MfaConfig>,
    /// The enrolment was confirmed and saved: the page has shown the recovery code once, and
    /// the next submit finishes the login.
    pub(crate) confirmed: bool,
}

impl Footprint for LoginStep {
    fn footprint(&self) -> usize {
        self.user_id.footprint() + PENDING_ENROLMENT_BYTES + 8
    }
}

/// Why an `mfa_token` cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TicketError {
    /// Never issued here (or long gone): Auth0's "Malformed mfa_token".
    Malformed,
    /// Past its 10 minutes, or already used: "mfa_token is expired".
    Expired,
    /// Issued to another application.
    OtherClient,
}

/// Why a code (or recovery code) was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OtpError {
    /// Wrong, or already used.
    Invalid,
    /// The user's bucket of attempts is empty.
    TooManyAttempts,
}

/// Per enrolled user: replay and brute-force state, and the recovery codes still unused.
#[derive(Debug)]
struct UserState {
    /// The enrolment (secret and recovery codes as configured) this state was started from:
    /// one that changes by any way (a reload, `POST /control/reset`, a user deleted and
    /// created again) starts a new state, so no recovery code outlives the enrolment that
    /// issued it.
    enrolment: Vec<u8>,
    last_step: i64,
    attempts: u32,
    refilled_at: i64,
    recovery_codes: Vec<String>,
}

/// The live `mfa_token`s, and each user's, oldest first (ids the store may since have
/// dropped are pruned as the user's list is next read).
#[derive(Debug)]
struct Tickets {
    store: BoundedStore<String, TicketEntry>,
    by_user: HashMap<String, VecDeque<String>>,
}

impl Tickets {
    /// Makes room for one more token of `user_id` within its share; prunes the index when it
    /// names more users than the store could hold tokens.
    fn make_room(&mut self, user_id: &str, now: i64) {
        let Tickets { store, by_user } = self;
        if by_user.len() >= MAX_MFA_TOKENS {
            by_user.retain(|_, ids| {
                ids.retain(|t| store.get(t, now).is_some());
                !ids.is_empty()
            });
        }
        let ids = by_user.entry(user_id.to_owned()).or_default();
        ids.retain(|t| store.get(t, now).is_some());
        while ids.len() >= MAX_MFA_TOKENS_PER_USER {
            if let Some(oldest) = ids.pop_front() {
                store.remove(&oldest);
            }
        }
    }
}

/// The tenant's MFA state.
#[derive(Debug)]
pub(crate) struct Mfa {
    tickets: Mutex<Tickets>,
    /// Login transaction id -> the user who gave the right password and owes a code (and,
    /// under the MFA policy, the enrolment that login shows).
    logins: Mutex<BoundedStore<String, LoginStep>>,
    users: Mutex<HashMap<String, UserState>>,
}

impl Default for Mfa {
    fn default() -> Self {
        Mfa {
            tickets: Mutex::new(Tickets {
                store: BoundedStore::new(
                    MAX_MFA_TOKENS,
                    MAX_MFA_TOKEN_BYTES,
                    WhenFull::EvictSoonest,
                ),
                by_user: HashMap::new(),
            }),
            logins: Mutex::new(BoundedStore::new(
                MAX_TRANSACTIONS,
                MAX_LOGIN_STEP_BYTES,
                WhenFull::EvictSoonest,
            )),
            users: Mutex::new(HashMap::new()),
        }
    }
}

impl Mfa {
    /// Issues an `mfa_token` for `ticket`, within its user's share.
    pub(crate) fn issue(&self, ticket: MfaTicket, now: i64) -> String {
        let token = random_id();
        let user_id = ticket.user_id.clone();
        let entry = TicketEntry {
            ticket,
            issued_at: now,
            used: false,
            pending: None,
        };
        let mut t = lock(&self.tickets);
        t.make_room(&user_id, now);
        // Kept a second lifetime, so that a late or repeated use hears "expired", as Auth0
        // answers, rather than "malformed".
        t.store
            .insert(token.clone(), entry, now + 2 * MFA_TOKEN_LIFETIME, now);
        t.by_user
            .entry(user_id)
            .or_default()
            .push_back(token.clone());
        token
    }

    /// The ticket of `token`, if `client_id` may use it now.
    pub(crate) fn ticket(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
    ) -> Result<MfaTicket, TicketError> {
        let tickets = lock(&self.tickets);
        let e = tickets
            .store
            .get(&token.to_owned(), now)
            .ok_or(TicketError::Malformed)?;
        if e.ticket.client_id != client_id {
            return Err(TicketError::OtherClient);
        }
        if e.used || now >= e.issued_at + MFA_TOKEN_LIFETIME {
            return Err(TicketError::Expired);
        }
        Ok(e.ticket.clone())
    }

    /// The ticket of `token` for the MFA API's own endpoints, which take it as a bearer token
    /// without naming the application.
    pub(crate) fn ticket_any(&self, token: &str, now: i64) -> Result<MfaTicket, TicketError> {
        let tickets = lock(&self.tickets);
        let e = tickets
            .store
            .get(&token.to_owned(), now)
            .ok_or(TicketError::Malformed)?;
        if e.used || now >= e.issued_at + MFA_TOKEN_LIFETIME {
            return Err(TicketError::Expired);
        }
        Ok(e.ticket.clone())
    }

    /// Gives `token` the pending enrolment `enrolment` (a later associate on the same token
    /// replaces it: the same holder starts again).
    pub(crate) fn start_enrolment(
        &self,
        token: &str,
        enrolment: MfaConfig,
        now: i64,
    ) -> Result<(), TicketError> {
        let mut tickets = lock(&self.tickets);
        let e = tickets
            .store
            .get_mut(&token.to_owned(), now)
            .ok_or(TicketError::Malformed)?;
        if e.used || now >= e.issued_at + MFA_TOKEN_LIFETIME {
            return Err(TicketError::Expired);
        }
        e.pending = Some(enrolment);
        Ok(())
    }

    /// The enrolment `token` has pending, if any.
    pub(crate) fn pending_enrolment(&self, token: &str, now: i64) -> Option<MfaConfig> {
        lock(&self.tickets)
            .store
            .get(&token.to_owned(), now)
            .and_then(|e| e.pending.clone())
    }

    /// Marks `token` used: it completed its login and never completes another.
    pub(crate) fn spend(&self, token: &str, now: i64) {
        if let Some(e) = lock(&self.tickets).store.get_mut(&token.to_owned(), now) {
            e.used = true;
            e.pending = None;
        }
    }

    /// Records that login transaction `tx` passed its password step for `user_id`.
    pub(crate) fn await_code(&self, tx: &str, user_id: &str, now: i64) {
        self.await_step(tx, user_id, None, now);
    }

    /// Records that login transaction `tx` passed its password step for `user_id`, who has no
    /// enrolment and enrols with `enrolment` (the MFA policy).
    pub(crate) fn await_enrolment(&self, tx: &str, user_id: &str, enrolment: MfaConfig, now: i64) {
        self.await_step(tx, user_id, Some(enrolment), now);
    }

    fn await_step(&self, tx: &str, user_id: &str, enrolment: Option<MfaConfig>, now: i64) {
        let step = LoginStep {
            user_id: user_id.to_owned(),
            enrolment,
            confirmed: false,
        };
        lock(&self.logins).insert(tx.to_owned(), step, now + TRANSACTION_LIFETIME, now);
    }

    /// The user login transaction `tx` owes a code for, if any.
    pub(crate) fn awaiting(&self, tx: &str, now: i64) -> Option<String> {
        self.login_step(tx, now).map(|s| s.user_id)
    }

    /// The step login transaction `tx` is at, if it owes a code.
    pub(crate) fn login_step(&self, tx: &str, now: i64) -> Option<LoginStep> {
        lock(&self.logins).get(&tx.to_owned(), now).cloned()
    }

    /// Marks the enrolment of login `tx` confirmed (its footprint does not change).
    pub(crate) fn confirm_login_enrolment(&self, tx: &str, now: i64) {
        if let Some(s) = lock(&self.logins).get_mut(&tx.to_owned(), now) {
            s.confirmed = true;
        }
    }

    /// Forgets `user_id`'s runtime state (replay window, attempts, recovery codes in use): their
    /// enrolment changed, so the next code is checked against the new one.
    pub(crate) fn forget(&self, user_id: &str) {
        lock(&self.users).remove(user_id);
    }

    /// Ends the OTP step of `tx`.
    pub(crate) fn end_login(&self, tx: &str) {
        lock(&self.logins).remove(&tx.to_owned());
    }

    /// Checks `code` from `user_id`'s authenticator: a step within the drift window, newer than
    /// the last one accepted. A miss costs an attempt.
    pub(crate) fn verify_otp(
        &self,
        user_id: &str,
        mfa: &MfaConfig,
        code: &str,
        now: i64,
    ) -> Result<(), OtpError> {
        let mut users = lock(&self.users);
        let u = user_state(&mut users, user_id, mfa, now);
        take_attempt_window(u, now)?;
        let step = now.div_euclid(OTP_STEP);
        let hit = (step - DRIFT_STEPS..=step + DRIFT_STEPS)
            .filter(|s| *s > u.last_step)
            .find(|s| {
                mfa.code_for_step(*s).is_some_and(|c| {
                    aws_lc_rs::constant_time::verify_slices_are_equal(c.as_bytes(), code.as_bytes())
                        .is_ok()
                })
            });
        match hit {
            Some(s) => {
                u.last_step = s;
                Ok(())
            }
            None => {
                u.attempts -= 1;
                Err(OtpError::Invalid)
            }
        }
    }

    /// Spends `code`, one of `user_id`'s recovery codes; returns the new code that replaces it
    /// (Auth0 answers a recovery login with a fresh `recovery_code`).
    pub(crate) fn redeem_recovery_code(
        &self,
        user_id: &str,
        mfa: &MfaConfig,
        code: &str,
        now: i64,
    ) -> Result<String, OtpError> {
        let mut users = lock(&self.users);
        let u = user_state(&mut users, user_id, mfa, now);
        take_attempt_window(u, now)?;
        let normalize = |s: &str| s.trim().to_ascii_uppercase();
        let wanted = normalize(code);
        match u.recovery_codes.iter().position(|c| normalize(c) == wanted) {
            Some(i) => {
                let fresh = new_recovery_code();
                u.recovery_codes[i] = fresh.clone();
                Ok(fresh)
            }
            None => {
                u.attempts -= 1;
                Err(OtpError::Invalid)
            }
        }
    }
}

/// The state of an enrolled user, created on first use.
fn user_state<'a>(
    users: &'a mut HashMap<String, UserState>,
    user_id: &str,
    mfa: &MfaConfig,
    now: i64,
) -> &'a mut UserState {
    let enrolment = fingerprint(mfa);
    let fresh = || UserState {
        enrolment: enrolment.clone(),
        last_step: i64::MIN,
        attempts: MAX_FAILED_ATTEMPTS,
        refilled_at: now,
        recovery_codes: mfa.recovery_codes.clone(),
    };
    let u = users.entry(user_id.to_owned()).or_insert_with(fresh);
    if u.enrolment != enrolment {
        *u = fresh();
    }
    u
}

/// What identifies an enrolment: its secret and configured recovery codes.
fn fingerprint(mfa: &MfaConfig) -> Vec<u8> {
    let mut text = mfa.otp_secret.clone();
    for code in &mfa.recovery_codes {
        text.push('\0');
        text.push_str(code);
    }
    crate::jose::sha256(text)
}

/// Refills the bucket for the time passed; refuses when it is empty.
fn take_attempt_window(u: &mut UserState, now: i64) -> Result<(), OtpError> {
    let earned = (now - u.refilled_at).max(0) / ATTEMPT_REFILL;
    if earned > 0 {
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        u.attempts = u.attempts.saturating_add(earned).min(MAX_FAILED_ATTEMPTS);
        u.refilled_at = if u.attempts == MAX_FAILED_ATTEMPTS {
            now
        } else {
            u.refilled_at + i64::from(earned) * ATTEMPT_REFILL
        };
    }
    if u.attempts == 0 {
        return Err(OtpError::TooManyAttempts);
    }
    Ok(())
}

/// A new OTP enrolment as an authenticator app receives it: a 160-bit secret (RFC 4226's
/// recommended length; 32 base32 characters) and one recovery code.
pub(crate) fn new_enrolment() -> MfaConfig {
    let mut bytes = [0u8; 20];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    MfaConfig {
        otp_secret: data_encoding::BASE32_NOPAD.encode(&bytes),
        recovery_codes: vec![new_recovery_code()],
        name: None,
        enrolled_at: None,
    }
}

/// A recovery code shaped like Auth0's: 24 characters of `A-Z` and `0-9`.
pub(crate) fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; 24];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mfa() -> MfaConfig {
        MfaConfig {
            otp_secret: "JBSWY3DPEHPK3PXP".into(),
            recovery_codes: vec!["RC1".into()],
            name: None,
            enrolled_at: None,
        }
    }

    fn ticket(user_id: &str) -> MfaTicket {
        MfaTicket {
            client_id: "app".into(),
            user_id: user_id.into(),
            scopes: vec!["openid".into()],
            audience: None,
        }
    }

    /// Review finding: with one enrolled account's password, an attacker filled the store
    /// and evicted every other user's live `mfa_token`.
    #[test]
    fn one_user_cannot_push_out_anothers_mfa_token() {
        let m = Mfa::default();
        let now = 1_000_000;
        let victim = m.issue(ticket("victim"), now);
        let attacker: Vec<String> = (0..MAX_MFA_TOKENS + 10)
            .map(|_| m.issue(ticket("attacker"), now))
            .collect();
        assert_eq!(m.ticket(&victim, "app", now + 1).unwrap().user_id, "victim");
        // The attacker keeps only their own newest share.
        let live = attacker
            .iter()
            .filter(|t| m.ticket(t, "app", now + 1).is_ok())
            .count();
        assert_eq!(live, MAX_MFA_TOKENS_PER_USER);
        assert!(
            m.ticket(&attacker[attacker.len() - 1], "app", now + 1)
                .is_ok()
        );
        assert_eq!(
            m.ticket(&attacker[0], "app", now + 1).unwrap_err(),
            TicketError::Malformed
        );
        let t = lock(&m.tickets);
        assert_eq!(t.store.len(), MAX_MFA_TOKENS_PER_USER + 1);
        assert_eq!(t.by_user["attacker"].len(), MAX_MFA_TOKENS_PER_USER);
    }

    /// The room each `mfa_token` and login step counts for a pending enrolment holds the one
    /// `new_enrolment` makes, so that setting it later never outgrows the byte bound.
    #[test]
    fn a_pending_enrolment_fits_the_room_counted_for_it() {
        let e = new_enrolment();
        assert_eq!(e.otp_secret.len(), 32);
        assert!(e.secret().is_some_and(|s| s.len() == 20));
        let size = e.otp_secret.footprint() + e.recovery_codes.footprint();
        assert!(size <= PENDING_ENROLMENT_BYTES, "{size}");
    }

    #[test]
    fn a_code_works_once_and_the_bucket_refills_one_attempt_per_six_minutes() {
        let m = Mfa::default();
        let now = 1_000_000;
        let code = mfa().code_at(now).unwrap();
        assert_eq!(m.verify_otp("u", &mfa(), &code, now), Ok(()));
        assert_eq!(
            m.verify_otp("u", &mfa(), &code, now + 1),
            Err(OtpError::Invalid)
        );
        for _ in 1..MAX_FAILED_ATTEMPTS {
            assert_eq!(
                m.verify_otp("u", &mfa(), "000000", now),
                Err(OtpError::Invalid)
            );
        }
        let later = now + 120;
        let good = mfa().code_at(later).unwrap();
        assert_eq!(
            m.verify_otp("u", &mfa(), &good, later),
            Err(OtpError::TooManyAttempts)
        );
        assert_eq!(
            m.verify_otp("u", &mfa(), &good, now + ATTEMPT_REFILL),
            Err(OtpError::Invalid),
            "the step of `later` is past at now + 360 s"
        );
        let t = now + 3 * ATTEMPT_REFILL;
        assert_eq!(
            m.verify_otp("u", &mfa(), &mfa().code_at(t).unwrap(), t),
            Ok(())
        );
    }
}
