//! The refresh_token grant (RFC 6749 §6) with Auth0's rotation: see [`crate::tenant::refresh_tokens`].

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::Value;

use super::{TokenError, dpop};
use crate::config::ApplicationConfig;
use crate::mint::user_tokens::{UserGrant, token_response};
use crate::tenant::refresh_tokens::Refused;
use crate::tenant::state::TenantState;

/// Auth0's answer for every refresh token it will not honour.
const INVALID: &str = "Unknown or invalid refresh token.";

pub(super) fn grant(
    st: &TenantState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    app: &ApplicationConfig,
) -> Result<Value, TokenError> {
    let cfg = &st.config();
    let token = params.get("refresh_token").ok_or_else(|| {
        TokenError::InvalidRequest("Missing required parameter: refresh_token".into())
    })?;
    let jkt = dpop::check_dpop(st, headers)?;
    let now = st.mint.clock.now();
    let (g, next) = st
        .refresh_tokens
        .exchange(
            token,
            &app.client_id,
            jkt.as_deref(),
            app.refresh_settings(),
            now,
        )
        .map_err(|r| match r {
            Refused::KeyMismatch => TokenError::InvalidDpopProof(
                "DPoP proof key does not match the refresh token's binding".into(),
            ),
            Refused::Unknown | Refused::WrongClient | Refused::Revoked | Refused::Reused => {
                TokenError::InvalidGrant(INVALID.into())
            }
        })?;
    // RFC 8707 §2.2: a `resource` here (the compatibility profile) is the grant's audience.
    cfg.check_resource_for(
        g.audience.as_deref(),
        params.get("resource").map(String::as_str),
    )?;
    let user = cfg
        .user(&g.user_id)
        .ok_or_else(|| TokenError::InvalidGrant(INVALID.into()))?;
    // `scope` may narrow what the login granted, never widen it.
    let scopes: Vec<String> = match params.get("scope") {
        None => g.scopes.clone(),
        Some(asked) => {
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
            asked
        }
    };
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
    };
    // The issuer of the domain the request came to (custom domains).
    Ok(token_response(&st.mint_for(headers), &grant, next))
}
