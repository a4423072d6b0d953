//! The refresh_token grant (RFC 6749 §6) with Auth0's rotation: see [`crate::tenant::refresh_tokens`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::http::HeaderMap;
use serde_json::Value;

use super::{TokenError, dpop};
use crate::actions::event::{Login, RequestInfo};
use crate::config::ApplicationConfig;
use crate::mint::user_tokens::{UserGrant, token_response};
use crate::tenant::refresh_tokens::{RefreshGrant, Refused};
use crate::tenant::state::TenantState;

/// Auth0's answer for every refresh token it will not honour.
const INVALID: &str = "Unknown or invalid refresh token.";
/// Auth0's text for a blocked user's refresh.
const BLOCKED: &str = "user is blocked";

pub(super) async fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let cfg = &st.config();
    let token = params.get("refresh_token").ok_or_else(|| {
        TokenError::InvalidRequest("Missing required parameter: refresh_token".into())
    })?;
    let jkt = dpop::check_dpop(st, headers)?;
    let now = st.mint.clock.now();
    // What the request asks of the grant is checked before rotation: a refused request
    // (another `resource`, a wider `scope`, a deleted or blocked user) must not cost the
    // client its refresh token.
    let request = |g: &RefreshGrant| -> Result<_, TokenError> {
        // RFC 8707 §2.2: a `resource` here (the compatibility profile) is the grant's audience.
        cfg.check_resource_for(
            g.audience.as_deref(),
            params.get("resource").map(String::as_str),
        )?;
        let user = cfg
            .user(&g.user_id)
            .ok_or_else(|| TokenError::InvalidGrant(INVALID.into()))?;
        // Auth0 answers a blocked user's refresh 403 `invalid_grant` "user is blocked";
        // the token stays, so lifting the block restores it.
        if user.blocked {
            return Err(TokenError::InvalidGrant(BLOCKED.into()));
        }
        Ok((user, narrowed_scopes(g, params.get("scope"))?))
    };
    let settings = app.refresh_settings();
    let (g, (user, scopes)) = st.refresh_tokens.check(
        token,
        &app.client_id,
        jkt.as_deref(),
        settings,
        now,
        request,
    )?;
    // The issuer of the domain the request came to (custom domains).
    let mint = st.mint_for(headers);
    // Auth0 runs the post-login Actions on a refresh token exchange too
    // (`event.transaction.protocol` is `oauth2-refresh-token`); what an earlier login's
    // Actions set is not carried over: this run decides the new tokens' custom claims.
    let login = Login {
        user,
        app,
        audience: g.audience.as_deref(),
        scopes: &scopes,
        organization: g.organization.as_deref(),
        protocol: "oauth2-refresh-token",
        request: RequestInfo::new(headers, peer, "POST", &BTreeMap::new(), params),
        redirect_uri: None,
        response_mode: None,
        state: None,
        session_id: &g.sid,
        auth_time: g.auth_time,
    };
    // The Actions decide before the token is spent: one that denies leaves it as it was.
    let changes = st.actions.post_login(cfg, &mint.issuer, &login, st).await?;
    // Checked again as it rotates: a concurrent use of the same token while the Actions ran
    // is reuse, as ever.
    let (_, _, next) = st.refresh_tokens.exchange(
        token,
        &app.client_id,
        jkt.as_deref(),
        settings,
        now,
        request,
    )?;
    let grant = UserGrant {
        app,
        user,
        scopes: &scopes,
        audience: g.audience.as_deref(),
        nonce: None,
        auth_time: g.auth_time,
        sid: &g.sid,
        jkt,
        organization: g.organization.as_deref(),
        changes: &changes,
    };
    Ok(token_response(&mint, &grant, next))
}

/// `scope` may narrow what the login granted, never widen it.
fn narrowed_scopes(g: &RefreshGrant, asked: Option<&String>) -> Result<Vec<String>, TokenError> {
    let Some(asked) = asked else {
        return Ok(g.scopes.clone());
    };
    let asked: Vec<String> = asked
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let extra: Vec<&str> = asked
        .iter()
        .filter(|s| !g.scopes.contains(s))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        return Err(TokenError::AccessDenied(format!(
            "Client has not been granted scopes: {}",
            extra.join(" ")
        )));
    }
    Ok(asked)
}

impl From<Refused> for TokenError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::KeyMismatch => TokenError::InvalidDpopProof(
                "DPoP proof key does not match the refresh token's binding".into(),
            ),
            Refused::Unknown | Refused::WrongClient | Refused::Revoked | Refused::Reused => {
                TokenError::InvalidGrant(INVALID.into())
            }
        }
    }
}
