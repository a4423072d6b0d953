//! The authorization_code grant (RFC 6749 §4.1.3): a code from `/authorize`, exchanged once,
//! by the client it was issued to, with the same `redirect_uri`, the PKCE verifier (RFC 7636
//! §4.5) and, for a code requested with `dpop_jkt`, a DPoP proof by that key (RFC 9449 §10).

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::Value;

use super::{TokenError, dpop};
use crate::config::ApplicationConfig;
use crate::mint::user_tokens::{UserGrant, token_response};
use crate::tenant::codes::Redeem;
use crate::tenant::refresh_tokens::RefreshGrant;
use crate::tenant::state::TenantState;

/// Auth0's answer for an unknown, expired, used or foreign code.
const INVALID_CODE: &str = "Invalid authorization code";
/// Auth0's answer for a PKCE mismatch.
const BAD_VERIFIER: &str = "Failed to verify code verifier";

pub(super) fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let cfg = &st.config();
    let code = params
        .get("code")
        .ok_or_else(|| TokenError::InvalidRequest("Missing required parameter: code".into()))?;
    let invalid = || TokenError::InvalidGrant(INVALID_CODE.into());
    let now = st.mint.clock.now();
    // The code is spent from here on, whatever happens next: a failed attempt cannot be
    // retried with another verifier.
    let g = match st.codes.redeem(code, now) {
        Ok(g) => g,
        Err(Redeem::Unknown) => return Err(invalid()),
        Err(Redeem::Replayed { family }) => {
            // RFC 6749 §4.1.2: a code used twice revokes what it produced.
            if let Some(f) = family {
                st.refresh_tokens.revoke_family(&f, now);
            }
            return Err(invalid());
        }
    };
    if g.client_id != app.client_id {
        return Err(invalid());
    }
    if params.get("redirect_uri") != Some(&g.redirect_uri) {
        return Err(TokenError::InvalidGrant(
            "The redirect_uri does not match the one of the authorization request".into(),
        ));
    }
    // PKCE both ways: a missing verifier, and a verifier for a code issued without a
    // challenge (a downgrade, RFC 9700 §2.1.1), both fail.
    match (&g.pkce, params.get("code_verifier")) {
        (Some(p), Some(v)) if p.verifies(v) => {}
        (None, None) => {}
        _ => return Err(TokenError::InvalidGrant(BAD_VERIFIER.into())),
    }
    // RFC 8707 §2.2: a `resource` here (the compatibility profile) is the code's audience.
    cfg.check_resource_for(
        g.audience.as_deref(),
        params.get("resource").map(String::as_str),
    )?;
    let jkt = dpop::check_dpop(st, headers)?;
    if let Some(expected) = &g.dpop_jkt
        && jkt.as_ref() != Some(expected)
    {
        return Err(TokenError::InvalidDpopProof(
            "DPoP proof key does not match the dpop_jkt of the authorization request".into(),
        ));
    }
    let user = cfg.user(&g.user_id).ok_or_else(invalid)?;
    let refresh = g.scopes.iter().any(|s| s == "offline_access").then(|| {
        let grant = RefreshGrant {
            client_id: app.client_id.clone(),
            user_id: g.user_id.clone(),
            scopes: g.scopes.clone(),
            audience: g.audience.clone(),
            sid: g.sid.clone(),
            auth_time: g.auth_time,
            // RFC 9449 §5: only a public client's refresh token is bound to its DPoP key.
            dpop_jkt: jkt.clone().filter(|_| app.is_public()),
            family: String::new(),
            organization: g.organization.clone(),
        };
        let (token, family) = st.refresh_tokens.issue(grant, app.refresh_settings(), now);
        st.codes.record_family(code, &family, now);
        token
    });
    let grant = UserGrant {
        app,
        user,
        scopes: &g.scopes,
        audience: g.audience.as_deref(),
        nonce: g.nonce.as_deref(),
        auth_time: g.auth_time,
        sid: &g.sid,
        jkt,
        organization: g.organization.as_deref(),
    };
    // The issuer of the domain the request came to (custom domains).
    Ok(token_response(&st.mint_for(headers), &grant, refresh))
}
