//! Authorization codes (RFC 6749 §4.1.2): single use, short-lived, bound to the client, the
//! redirect URI, the PKCE challenge (RFC 7636) and the DPoP key (RFC 9449 §10) they were
//! issued for.

use std::sync::Mutex;

use crate::actions::TokenChanges;
use crate::jose::{b64url, random_id, sha256};
use crate::tenant::store::{BoundedStore, Footprint, WhenFull};

/// How long a code can be exchanged (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub(crate) const CODE_LIFETIME: i64 = 600;
/// At most this many codes (used ones included, until they expire) are kept: 10,000.
pub(crate) const MAX_CODES: usize = 10_000;
/// ... and at most this many bytes of them.
pub(crate) const MAX_CODE_BYTES: usize = 8 << 20;

/// A PKCE challenge method (RFC 7636 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    S256,
    Plain,
}

/// The challenge an authorization request carried.
#[derive(Debug, Clone)]
pub(crate) struct Pkce {
    pub(crate) challenge: String,
    pub(crate) method: PkceMethod,
}

impl Pkce {
    /// Whether `verifier` answers the challenge (RFC 7636 §4.6), compared in constant time.
    pub(crate) fn verifies(&self, verifier: &str) -> bool {
        if !is_pkce_string(verifier) {
            return false;
        }
        let derived = match self.method {
            PkceMethod::S256 => b64url(sha256(verifier.as_bytes())),
            PkceMethod::Plain => verifier.to_owned(),
        };
        aws_lc_rs::constant_time::verify_slices_are_equal(
            derived.as_bytes(),
            self.challenge.as_bytes(),
        )
        .is_ok()
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z a-z 0-9 - . _ ~]`.
pub(crate) fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// What a code stands for: who logged in, for which client, with what.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) pkce: Option<Pkce>,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) audience: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) auth_time: i64,
    pub(crate) sid: String,
    pub(crate) dpop_jkt: Option<String>,
    /// The organization (id) of the login: `org_id`/`org_name` in the tokens.
    pub(crate) organization: Option<String>,
    /// What the post-login Actions, run when the login completed, asked of the tokens.
    pub(crate) actions: TokenChanges,
}

#[derive(Debug)]
struct Entry {
    grant: CodeGrant,
    /// Set once exchanged: the refresh token family issued, revoked if the code comes back.
    redeemed: Option<Option<String>>,
}

impl Footprint for Entry {
    fn footprint(&self) -> usize {
        let g = &self.grant;
        g.client_id.footprint()
            + g.redirect_uri.footprint()
            + g.pkce.as_ref().map_or(0, |p| p.challenge.footprint())
            + g.user_id.footprint()
            + g.scopes.footprint()
            + g.audience.footprint()
            + g.nonce.footprint()
            + g.sid.footprint()
            + g.dpop_jkt.footprint()
            + g.organization.footprint()
            + g.actions.footprint()
            + 64
    }
}

/// Why a code cannot be exchanged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Redeem {
    /// Unknown or expired.
    Unknown,
    /// Already exchanged: whatever it produced must be revoked (RFC 6749 §4.1.2).
    Replayed { family: Option<String> },
}

/// The tenant's codes.
#[derive(Debug)]
pub(crate) struct Codes(Mutex<BoundedStore<String, Entry>>);

impl Default for Codes {
    fn default() -> Self {
        Codes(Mutex::new(BoundedStore::new(
            MAX_CODES,
            MAX_CODE_BYTES,
            WhenFull::EvictSoonest,
        )))
    }
}

impl Codes {
    /// Issues a code for `grant`.
    pub(crate) fn issue(&self, grant: CodeGrant, now: i64) -> String {
        let code = random_id();
        let entry = Entry {
            grant,
            redeemed: None,
        };
        lock(&self.0).insert(code.clone(), entry, now + CODE_LIFETIME, now);
        code
    }

    /// Takes the code for exchange: it can never be exchanged again.
    pub(crate) fn redeem(&self, code: &str, now: i64) -> Result<CodeGrant, Redeem> {
        let mut store = lock(&self.0);
        let entry = store
            .get_mut(&code.to_owned(), now)
            .ok_or(Redeem::Unknown)?;
        match &entry.redeemed {
            Some(family) => Err(Redeem::Replayed {
                family: family.clone(),
            }),
            None => {
                entry.redeemed = Some(None);
                Ok(entry.grant.clone())
            }
        }
    }

    /// Records the refresh token family a redeemed code produced.
    pub(crate) fn record_family(&self, code: &str, family: &str, now: i64) {
        if let Some(e) = lock(&self.0).get_mut(&code.to_owned(), now) {
            e.redeemed = Some(Some(family.to_owned()));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        let p = Pkce {
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            method: PkceMethod::S256,
        };
        assert!(p.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!p.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"));
        assert!(!p.verifies("short"));
    }
}
