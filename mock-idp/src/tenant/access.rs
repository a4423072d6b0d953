//! Who may change the tenant: decided here, once, for every face (the control API, Auth0's
//! Management API routes, the Test page, `POST /control/tokens`).
//!
//! The tenant belongs to its operator. Two kinds of caller may steer it:
//! - the operator, who holds the admin secret (printed by `mock-idp serve`) or a Test page
//!   session started with it;
//! - an application the operator granted Management API scopes (a client grant for
//!   `https://{domain}/api/v2/` in the tenant file), with a token it got itself through
//!   client_credentials: `gty` is `client-credentials`, and its `azp` still holds a client grant
//!   with the scope the route needs.
//!
//! Nothing else passes: as on Auth0, where a user's token for `/api/v2/` carries only
//! `*:current_user` scopes, user flows (authorization code, auto-login, refresh, token
//! exchange) never grant Management API scopes ([`crate::config::ApiConfig::user_permissions`]),
//! and a token that claims them without the client grant behind it is refused here.
//! A caller minting through `POST /control/tokens` gets nothing it does not hold: no token that
//! outlives its own, and no Management API token with a scope it lacks ([`may_mint`]).

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

use serde_json::Value;

use crate::config::GrantType;
use crate::jose::decode_unverified;
use crate::tenant::admin_sessions::real_now;
use crate::tenant::state::TenantState;

/// Who is calling, once [`authorize`] let them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The admin secret or a Test page session: everything.
    Operator,
    /// An application with a Management API token from client_credentials.
    Client {
        client_id: String,
        /// The scopes its token carries that its client grant still holds.
        scopes: Vec<String>,
        /// Its token's `exp` (tenant clock).
        expires_at: i64,
    },
}

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Denied {
    /// No credential at all.
    #[error("Missing authentication")]
    Missing,
    /// A credential the tenant did not issue, or no longer honours.
    #[error("Invalid token")]
    InvalidToken,
    /// A valid token that is not a Management API token from client_credentials.
    #[error("Management API tokens come from client_credentials only")]
    NotClientCredentials,
    /// A valid Management API token without the needed scope (or whose client lost it).
    #[error("Insufficient scope, expected any of: {0}")]
    InsufficientScope(String),
}

/// What a caller presents.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Credential<'a> {
    /// `Authorization: Bearer` on the control API: the admin secret or a Management API token.
    Bearer(Option<&'a str>),
    /// The Test page's session cookie: an id [`AdminSessions`](crate::tenant::admin_sessions::AdminSessions) issued when the admin secret
    /// was typed in (never the secret itself: cookies do not isolate by port).
    TestPageSession(Option<&'a str>),
}

/// The rule: may the holder of `credential` do what `scope` allows?
pub(crate) fn authorize(
    st: &TenantState,
    credential: Credential<'_>,
    scope: &str,
) -> Result<Caller, Denied> {
    let credential = match credential {
        Credential::TestPageSession(id) => {
            let id = id.filter(|c| !c.is_empty()).ok_or(Denied::Missing)?;
            return if st.admin_sessions.is_live(id, real_now()) {
                Ok(Caller::Operator)
            } else {
                Err(Denied::InvalidToken)
            };
        }
        Credential::Bearer(b) => b.filter(|c| !c.is_empty()).ok_or(Denied::Missing)?,
    };
    if let Some(secret) = st.admin_secret()
        && verify_slices_are_equal(credential.as_bytes(), secret.as_bytes()).is_ok()
    {
        return Ok(Caller::Operator);
    }
    let claims = management_token_claims(st, credential)?;
    let caller = client_of(st, &claims)?;
    match &caller {
        Caller::Client { scopes, .. } if scopes.iter().any(|s| s == scope) => Ok(caller),
        _ => Err(Denied::InsufficientScope(scope.to_owned())),
    }
}

/// The application behind a Management API token, with the scopes it both carries and still
/// holds through its client grant.
fn client_of(st: &TenantState, claims: &Value) -> Result<Caller, Denied> {
    if claims["gty"] != "client-credentials" {
        return Err(Denied::NotClientCredentials);
    }
    let client_id = claims["azp"]
        .as_str()
        .or_else(|| claims["client_id"].as_str())
        .ok_or(Denied::NotClientCredentials)?;
    let snapshot = st.config();
    let app = snapshot
        .application(client_id)
        .filter(|a| a.allows(GrantType::ClientCredentials))
        .ok_or(Denied::NotClientCredentials)?;
    let granted = app
        .grants
        .get(&st.management_audience())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let scopes = claims["scope"]
        .as_str()
        .unwrap_or("")
        .split(' ')
        .filter(|s| granted.iter().any(|g| g == s))
        .map(str::to_owned)
        .collect();
    Ok(Caller::Client {
        client_id: client_id.to_owned(),
        scopes,
        expires_at: claims["exp"].as_i64().unwrap_or(i64::MIN),
    })
}

/// The claims of `token` if it is a Management API token this tenant signed and still
/// honours: RS256 by a published key, its `iss`, the Management API in `aud`, `exp` ahead on
/// the tenant's clock. The mock checks it with aws-lc itself: it never depends on the verifier.
fn management_token_claims(st: &TenantState, token: &str) -> Result<Value, Denied> {
    let bad = || Denied::InvalidToken;
    let jws = decode_unverified(token).map_err(|_| bad())?;
    if jws.header["alg"] != "RS256" {
        return Err(bad());
    }
    let kid = jws.header["kid"].as_str().ok_or_else(bad)?;
    if !st.mint.keys.published_kids().iter().any(|k| k == kid) {
        return Err(bad());
    }
    let key = st.mint.keys.get(kid).ok_or_else(bad)?;
    let (input, sig) = token.rsplit_once('.').ok_or_else(bad)?;
    let sig = crate::jose::b64url_decode(sig).map_err(|_| bad())?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key_pkcs1_der())
        .verify(input.as_bytes(), &sig)
        .map_err(|_| bad())?;
    let claims = jws.payload;
    let exp_ok = claims["exp"]
        .as_i64()
        .is_some_and(|exp| exp > st.mint.clock.now());
    if claims["iss"] != st.mint.issuer.as_str() || !has_audience(&claims, st) || !exp_ok {
        return Err(bad());
    }
    Ok(claims)
}

/// Whether `claims` name the tenant's Management API in `aud`.
fn has_audience(claims: &Value, st: &TenantState) -> bool {
    let audience = st.management_audience();
    match &claims["aud"] {
        Value::String(a) => *a == audience,
        Value::Array(list) => list.iter().any(|a| *a == audience),
        _ => false,
    }
}

/// Why `POST /control/tokens` refused to mint for a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MintDenied {
    /// The new token would outlive the caller's (or has no `exp`).
    #[error("A minted token may not outlive the caller's token (exp {0})")]
    Lifetime(i64),
    /// A Management API token with a scope the caller does not hold.
    #[error("A minted Management API token may not carry scopes the caller lacks: {0}")]
    Scope(String),
}

/// May `caller` have the token whose claims are `claims`? The operator may have anything; a
/// client no token that outlives its own, and no Management API token with more scope.
pub(crate) fn may_mint(
    st: &TenantState,
    caller: &Caller,
    claims: &Value,
) -> Result<(), MintDenied> {
    let Caller::Client {
        scopes, expires_at, ..
    } = caller
    else {
        return Ok(());
    };
    if claims["exp"].as_i64().is_none_or(|exp| exp > *expires_at) {
        return Err(MintDenied::Lifetime(*expires_at));
    }
    if has_audience(claims, st) {
        let extra: Vec<&str> = claims["scope"]
            .as_str()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty() && !scopes.iter().any(|h| h == s))
            .collect();
        if !extra.is_empty() {
            return Err(MintDenied::Scope(extra.join(" ")));
        }
    }
    Ok(())
}

/// Whether `given` is the admin secret (compared in constant time).
pub(crate) fn is_admin_secret(st: &TenantState, given: &str) -> bool {
    st.admin_secret()
        .is_some_and(|s| verify_slices_are_equal(given.as_bytes(), s.as_bytes()).is_ok())
}
