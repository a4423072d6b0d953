//! Refresh tokens as Auth0 keeps them: a family per login, rotation with reuse detection, an
//! absolute lifetime that rotation does not extend, and an idle lifetime that each use renews.
//!
//! With rotation each exchange invalidates the token it used and returns the next one. Using
//! an invalidated token again (a thief, or a client racing itself) revokes the whole family,
//! except for the immediately previous token within the application's `leeway` seconds.
//!
//! Live tokens and rotated ones are kept apart, each store bounded: a client that rotates its
//! token in a loop fills only the rotated store (reuse detection for the oldest rotated tokens
//! is what it costs), never pushing another family's live token out.

use std::sync::Mutex;

use crate::config::{RefreshTokenSettings, RotationType};
use crate::jose::random_id;
use crate::tenant::store::{BoundedStore, Footprint, WhenFull};

/// At most this many live refresh tokens are kept, and as many rotated ones (100,000 each;
/// expired ones first, then the soonest to expire, go when full).
pub(crate) const MAX_REFRESH_TOKENS: usize = 100_000;
/// At most this many families are kept (100,000).
pub(crate) const MAX_FAMILIES: usize = 100_000;
/// Bytes of live refresh tokens kept, at most, and of rotated ones.
pub(crate) const MAX_REFRESH_TOKEN_BYTES: usize = 16 << 20;
/// Bytes of families kept, at most.
pub(crate) const MAX_FAMILY_BYTES: usize = 8 << 20;

/// What a refresh token lets its client obtain.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) audience: Option<String>,
    pub(crate) sid: String,
    pub(crate) auth_time: i64,
    /// RFC 9449 §5: a refresh token issued to a public client with DPoP is bound to the key.
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) family: String,
    /// The organization (id) of the login, kept in every refreshed token.
    pub(crate) organization: Option<String>,
}

#[derive(Debug)]
struct Token {
    grant: RefreshGrant,
    /// When it was rotated away (None: the family's live token).
    rotated_at: Option<i64>,
}

#[derive(Debug)]
struct Family {
    revoked: bool,
    /// The token before the live one (the only one `leeway` tolerates).
    previous: Option<String>,
    expires_at: i64,
}

impl Footprint for Token {
    fn footprint(&self) -> usize {
        let g = &self.grant;
        g.client_id.footprint()
            + g.user_id.footprint()
            + g.scopes.footprint()
            + g.audience.footprint()
            + g.sid.footprint()
            + g.dpop_jkt.footprint()
            + g.family.footprint()
            + g.organization.footprint()
            + 32
    }
}

impl Footprint for Family {
    fn footprint(&self) -> usize {
        self.previous.footprint() + 16
    }
}

/// Why a refresh token was refused (all answer "Unknown or invalid refresh token.").
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Unknown,
    WrongClient,
    Revoked,
    /// A rotated token came back: the family is now revoked.
    Reused,
    /// The token is DPoP-bound and the request's proof key is another (or absent).
    KeyMismatch,
}

/// The tenant's refresh tokens.
#[derive(Debug)]
pub(crate) struct RefreshTokens(Mutex<Inner>);

#[derive(Debug)]
struct Inner {
    /// Each family's live token.
    tokens: BoundedStore<String, Token>,
    /// Tokens rotated away, kept until their family expires so that their reuse revokes it.
    rotated: BoundedStore<String, Token>,
    families: BoundedStore<String, Family>,
}

impl Default for RefreshTokens {
    fn default() -> Self {
        let tokens = || {
            BoundedStore::new(
                MAX_REFRESH_TOKENS,
                MAX_REFRESH_TOKEN_BYTES,
                WhenFull::EvictSoonest,
            )
        };
        RefreshTokens(Mutex::new(Inner {
            tokens: tokens(),
            rotated: tokens(),
            families: BoundedStore::new(MAX_FAMILIES, MAX_FAMILY_BYTES, WhenFull::EvictSoonest),
        }))
    }
}

impl RefreshTokens {
    /// Starts a family for `grant` (its `family` is overwritten) and returns its first token.
    pub(crate) fn issue(
        &self,
        mut grant: RefreshGrant,
        settings: RefreshTokenSettings,
        now: i64,
    ) -> (String, String) {
        let family = random_id();
        grant.family = family.clone();
        let expires_at = now + settings.token_lifetime;
        let mut inner = lock(&self.0);
        inner.families.insert(
            family.clone(),
            Family {
                revoked: false,
                previous: None,
                expires_at,
            },
            expires_at,
            now,
        );
        let token = new_token();
        let idle = (now + settings.idle_token_lifetime).min(expires_at);
        inner.tokens.insert(
            token.clone(),
            Token {
                grant,
                rotated_at: None,
            },
            idle,
            now,
        );
        (token, family)
    }

    /// What `token` grants `client_id` (whose request proved possession of `jkt`) and what
    /// `request` makes of it, without rotating: for checks that must pass before a refresh
    /// spends its token (the post-login Actions, which may deny it). Reuse detection applies
    /// as in [`exchange`](Self::exchange).
    pub(crate) fn check<T, E: From<Refused>>(
        &self,
        token: &str,
        client_id: &str,
        jkt: Option<&str>,
        settings: RefreshTokenSettings,
        now: i64,
        request: impl FnOnce(&RefreshGrant) -> Result<T, E>,
    ) -> Result<(RefreshGrant, T), E> {
        let mut inner = lock(&self.0);
        let (grant, _) = live_grant(&mut inner, token, client_id, jkt, settings, now)?;
        let checked = request(&grant)?;
        Ok((grant, checked))
    }

    /// Exchanges `token` for `client_id`, whose request proved possession of `jkt`: the
    /// grant, what `request` made of it, and the next token when rotating. The binding is
    /// checked before anything rotates, so a thief without the key cannot burn the client's
    /// token; `request` (the request's own checks against the grant: `resource`, `scope`)
    /// runs after reuse detection and before rotation, under the same lock, so a refused
    /// request leaves the client's token as it was.
    pub(crate) fn exchange<T, E: From<Refused>>(
        &self,
        token: &str,
        client_id: &str,
        jkt: Option<&str>,
        settings: RefreshTokenSettings,
        now: i64,
        request: impl FnOnce(&RefreshGrant) -> Result<T, E>,
    ) -> Result<(RefreshGrant, T, Option<String>), E> {
        let mut inner = lock(&self.0);
        let (grant, rotated_at) = live_grant(&mut inner, token, client_id, jkt, settings, now)?;
        let checked = request(&grant)?;
        let Inner {
            tokens,
            rotated,
            families,
        } = &mut *inner;
        let key = token.to_owned();
        let family = families
            .get_mut(&grant.family, now)
            .ok_or(Refused::Revoked)?;
        let family_expiry = family.expires_at;
        let idle = (now + settings.idle_token_lifetime).min(family_expiry);
        match settings.rotation_type {
            RotationType::NonRotating => {
                tokens.set_expiry(&key, idle);
                Ok((grant, checked, None))
            }
            RotationType::Rotating => {
                if rotated_at.is_none() {
                    family.previous = Some(key.clone());
                    if let Some(mut t) = tokens.remove(&key) {
                        t.rotated_at = Some(now);
                        rotated.insert(key, t, family_expiry, now);
                    }
                }
                let next = new_token();
                let t = Token {
                    grant: grant.clone(),
                    rotated_at: None,
                };
                tokens.insert(next.clone(), t, idle, now);
                Ok((grant, checked, Some(next)))
            }
        }
    }

    /// Revokes the family of `token` if `client_id` owns it (`/oauth/revoke`).
    pub(crate) fn revoke_token(&self, token: &str, client_id: &str, now: i64) {
        let mut inner = lock(&self.0);
        let key = token.to_owned();
        let Some(family) = inner
            .tokens
            .get(&key, now)
            .or_else(|| inner.rotated.get(&key, now))
            .filter(|t| t.grant.client_id == client_id)
            .map(|t| t.grant.family.clone())
        else {
            return;
        };
        if let Some(f) = inner.families.get_mut(&family, now) {
            f.revoked = true;
        }
    }

    /// Revokes a whole family (a replayed authorization code).
    pub(crate) fn revoke_family(&self, family: &str, now: i64) {
        if let Some(f) = lock(&self.0).families.get_mut(&family.to_owned(), now) {
            f.revoked = true;
        }
    }
}

/// The grant of `token` and when it was rotated, if `client_id` with DPoP key `jkt` may use
/// it now. A rotated token used again outside the reuse interval revokes its family.
fn live_grant(
    inner: &mut Inner,
    token: &str,
    client_id: &str,
    jkt: Option<&str>,
    settings: RefreshTokenSettings,
    now: i64,
) -> Result<(RefreshGrant, Option<i64>), Refused> {
    let Inner {
        tokens,
        rotated,
        families,
    } = inner;
    let key = token.to_owned();
    let entry = tokens
        .get(&key, now)
        .or_else(|| rotated.get(&key, now))
        .ok_or(Refused::Unknown)?;
    if entry.grant.client_id != client_id {
        return Err(Refused::WrongClient);
    }
    if entry.grant.dpop_jkt.is_some() && entry.grant.dpop_jkt.as_deref() != jkt {
        return Err(Refused::KeyMismatch);
    }
    let grant = entry.grant.clone();
    let rotated_at = entry.rotated_at;
    let family = families
        .get_mut(&grant.family, now)
        .ok_or(Refused::Revoked)?;
    if family.revoked {
        return Err(Refused::Revoked);
    }
    if let Some(at) = rotated_at {
        let tolerated = family.previous.as_deref() == Some(token)
            && settings.leeway > 0
            && now - at <= settings.leeway;
        if !tolerated {
            family.revoked = true;
            return Err(Refused::Reused);
        }
    }
    Ok((grant, rotated_at))
}

/// Auth0's refresh tokens look like `v1.M…`; ours are `v1.` + 128 random bits.
fn new_token() -> String {
    format!("v1.{}", random_id())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request that asks nothing more of the grant.
    fn accept(_: &RefreshGrant) -> Result<(), Refused> {
        Ok(())
    }

    fn grant(client_id: &str, user_id: &str) -> RefreshGrant {
        RefreshGrant {
            client_id: client_id.into(),
            user_id: user_id.into(),
            scopes: vec!["openid".into(), "offline_access".into()],
            audience: None,
            sid: random_id(),
            auth_time: 0,
            dpop_jkt: None,
            family: String::new(),
            organization: None,
        }
    }

    /// Review 3, L1's second half: a logged-in client that rotates its refresh token in a
    /// loop (more rotations than the store holds, in entries and in bytes) pushes out only
    /// rotated tokens; another family's live token, issued earlier and so the soonest to
    /// expire, still works, and the flood's own recent rotated tokens still trip reuse
    /// detection.
    #[test]
    fn a_rotation_loop_never_evicts_another_familys_live_token() {
        let settings = RefreshTokenSettings::default_for(crate::config::AppType::Spa);
        let store = RefreshTokens::default();
        let (victim, _) = store.issue(grant("spa", "victim"), settings, 0);
        let (mut token, _) = store.issue(grant("spa", "attacker"), settings, 0);
        let mut previous = String::new();
        for i in 0..=MAX_REFRESH_TOKENS {
            let now = 1 + i64::try_from(i).unwrap();
            let (_, (), next) = store
                .exchange(&token, "spa", None, settings, now, accept)
                .unwrap();
            previous = std::mem::replace(&mut token, next.unwrap());
        }
        {
            let inner = lock(&store.0);
            assert!(inner.rotated.bytes() <= MAX_REFRESH_TOKEN_BYTES);
            assert!(inner.rotated.len() <= MAX_REFRESH_TOKENS);
            assert_eq!(inner.tokens.len(), 2, "one live token per family");
        }
        let now = 200_000;
        let (g, (), next) = store
            .exchange(&victim, "spa", None, settings, now, accept)
            .unwrap();
        assert_eq!(g.user_id, "victim");
        assert!(next.is_some());
        assert_eq!(
            store
                .exchange(&previous, "spa", None, settings, now, accept)
                .unwrap_err(),
            Refused::Reused
        );
        assert_eq!(
            store
                .exchange(&token, "spa", None, settings, now, accept)
                .unwrap_err(),
            Refused::Revoked
        );
    }
}
